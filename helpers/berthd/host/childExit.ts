// Owns: the exit of a helper process berthd started (berth-ninep-server, virtiofsd): its code or signal
// and the end of its stderr (from its log file when it writes one, else the last 4 KiB it piped).
import type { ChildProcess } from 'node:child_process';
import { fileEnd } from './fileEnd.ts';

export type ChildExit = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

/** Watches one child from its spawn: `exit` is set in its exit event itself, and `exited` resolves with it. */
export class ChildExitWatch {
  readonly exited: Promise<ChildExit>;
  private result: ChildExit | undefined;
  private stderr = '';

  constructor(child: ChildProcess, logFile: string | undefined) {
    child.stderr?.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-4096)));
    this.exited = new Promise((resolve) => {
      const done = (code: number | null, signal: NodeJS.Signals | null): void => {
        this.result = { code, signal, stderr: (logFile ? fileEnd(logFile, 4096) : this.stderr).trim() };
        resolve(this.result);
      };
      if (child.exitCode !== null || child.signalCode !== null) done(child.exitCode, child.signalCode);
      else child.once('exit', done);
    });
  }

  /** How it exited; undefined while it runs. */
  get exit(): ChildExit | undefined {
    return this.result;
  }

  get running(): boolean {
    return this.result === undefined;
  }
}
