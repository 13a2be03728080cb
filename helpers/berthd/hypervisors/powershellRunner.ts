// Runs one generated PowerShell script (hypervScripts.ts) with powershell.exe -EncodedCommand and reads
// its one-line JSON answer. A failed script becomes an error carrying PowerShell's own first message line.
import { spawn } from 'node:child_process';
import { powershellArgv } from './psLiteral.ts';

export class PowerShellError extends Error {
  constructor(
    readonly op: string,
    readonly exitCode: number | null,
    readonly stderr: string,
  ) {
    const first = stderr.split(/\r?\n/).map((l) => l.trim()).find((l) => l !== '') ?? 'no message';
    super(`PowerShell ${op} failed (exit ${exitCode ?? 'signal'}): ${first}`);
  }
}

export type PowerShellRun = (script: string) => Promise<unknown>;

/** A runner for `binary` (powershell.exe; tests give the fake under test/fakes). */
export function powershellRunner(binary = 'powershell.exe', o: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): PowerShellRun {
  return (script) =>
    new Promise((resolve, reject) => {
      const op = /^# berth-hyperv:(\w+)/.exec(script)?.[1] ?? 'script';
      const child = spawn(binary, powershellArgv(script), { stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true, env: o.env ?? process.env });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.stderr.on('data', (d) => (err = (err + String(d)).slice(-8192)));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new PowerShellError(op, null, `no answer within ${(o.timeoutMs ?? 120_000) / 1000} s`));
      }, o.timeoutMs ?? 120_000);
      child.on('error', (e) => {
        clearTimeout(timer);
        reject(new PowerShellError(op, null, `${binary} could not run (${e.message}); Hyper-V needs Windows PowerShell`));
      });
      child.on('close', (code) => {
        clearTimeout(timer);
        if (code !== 0) return reject(new PowerShellError(op, code, err));
        const line = out.split(/\r?\n/).map((l) => l.trim()).filter((l) => l !== '').at(-1);
        try {
          resolve(line === undefined ? null : JSON.parse(line));
        } catch {
          reject(new PowerShellError(op, code, `answered something that is not JSON: ${line}`));
        }
      });
    });
}
