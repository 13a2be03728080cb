// Owns: berth-ninep-server (helpers/ninep-server), the 9P2000.L server HyperKit's virtio-9p forwards
// the guest's messages to — where its binary is, its argv (pure), and running ones: started, ready
// once they print their address, stopped by PID; a record of their pids for a re-adopting berthd.
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { ChildExitWatch, type ChildExit } from '../host/childExit.ts';
import { killOnExit } from '../host/childReaper.ts';
import { fileEnd } from '../host/fileEnd.ts';
import { processAlive } from '../host/processLiveness.ts';
import { helperBinary } from './helperBinaries.ts';
import { commandLineOf } from './processHandle.ts';

export const NINEP_SERVER_BINARY = 'berth-ninep-server';

/** Where berth-ninep-server is: BERTH_NINEP_SERVER, or beside berthd's bundle (helperBinaries.ts). */
export function ninepServerPath(env: NodeJS.ProcessEnv = process.env): string {
  return helperBinary(NINEP_SERVER_BINARY, { env });
}

export type NinepServerJob = {
  /** The host folder served. */
  hostPath: string;
  /** `unix:<socket path>` (HyperKit) or `tcp:127.0.0.1:<port>` (tests; port 0 picks one). */
  listen: string;
  readOnly: boolean;
  /** End when the first connection ends: HyperKit holds one connection for the VM's whole life. */
  once?: boolean;
};

/** The server's argv (without the binary). `-flag=value`: a value can never be read as a flag. Pure. */
export function ninepServerArgs(j: NinepServerJob): string[] {
  // POSIX absolute, or a Windows drive path (berth-ninep-server.exe on Hyper-V: C:\Users\ann).
  if (!/^(\/|[A-Za-z]:[\\/])/.test(j.hostPath)) throw new Error(`the shared folder ${JSON.stringify(j.hostPath)} is not an absolute path`);
  if (!/^(unix:\/|tcp:)/.test(j.listen)) throw new Error(`listen ${JSON.stringify(j.listen)}: expected unix:<absolute path> or tcp:<address>`);
  return [`-root=${j.hostPath}`, `-listen=${j.listen}`, ...(j.readOnly ? ['-ro'] : []), ...(j.once ? ['-once'] : [])];
}

export type NinepServerExit = ChildExit;

/** One running berth-ninep-server. `stop()` ends it by PID; it never outlives stop(). */
export class NinepServer {
  readonly exited: Promise<NinepServerExit>;
  private readonly watch: ChildExitWatch;

  private constructor(
    private readonly child: ChildProcess,
    readonly job: NinepServerJob,
    /** What it listens on, as it printed it (the port chosen for tcp:…:0). */
    readonly address: string,
    logFile: string | undefined,
  ) {
    this.watch = new ChildExitWatch(child, logFile);
    this.exited = this.watch.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.watch.running;
  }

  /** Start the server and resolve once it listens; reject with its stderr if it exits or times out first. */
  static async start(binary: string, job: NinepServerJob, o: { logFile?: string; readyTimeoutMs?: number } = {}): Promise<NinepServer> {
    const args = ninepServerArgs(job);
    if (!existsSync(job.hostPath)) throw new Error(`the shared folder ${job.hostPath} does not exist`);
    const errFd = o.logFile ? openSync(o.logFile, 'w', 0o600) : undefined;
    const child = spawn(binary, args, { stdio: ['ignore', 'pipe', errFd ?? 'pipe'] });
    if (errFd !== undefined) closeSync(errFd);
    killOnExit(child);
    let stderr = '';
    child.stderr?.on('data', (d) => (stderr += String(d)));
    const timeoutMs = o.readyTimeoutMs ?? 10_000;
    const address = await new Promise<string>((resolve, reject) => {
      let out = '';
      const fail = (why: string): void => {
        clearTimeout(timer);
        if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
        const detail = (stderr || fileEnd(o.logFile, 2048)).trim();
        reject(new Error(`berth-ninep-server for ${job.hostPath} ${why}${detail ? `: ${detail}` : ''}`));
      };
      const timer = setTimeout(() => fail(`did not listen within ${timeoutMs} ms`), timeoutMs);
      child.once('error', (e) => fail(`could not start (${binary}: ${e.message}); reinstall Berth, or set BERTH_NINEP_SERVER to the built server`));
      child.once('exit', (code, signal) => fail(`exited (${signal ?? `code ${code}`}) before it listened`));
      child.stdout!.on('data', (d) => {
        out += String(d);
        const m = /^listening (.+)$/m.exec(out);
        if (m) {
          clearTimeout(timer);
          child.removeAllListeners('exit');
          resolve(m[1]!.trim());
        }
      });
    });
    child.stdout!.resume();
    return new NinepServer(child, job, address, o.logFile);
  }

  /** SIGTERM, SIGKILL after `graceMs`, wait for the exit; a unix socket left behind is removed. */
  async stop(graceMs = 2000): Promise<NinepServerExit> {
    if (this.running) {
      this.child.kill('SIGTERM');
      const t = setTimeout(() => this.child.kill('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    if (this.job.listen.startsWith('unix:')) rmSync(this.job.listen.slice('unix:'.length), { force: true });
    return this.watch.exit!;
  }
}

/** The servers of one VM's shares, and the pid record a later berthd reads (`run/ninep-servers.json`). */
export class NinepServerGroup {
  private constructor(
    readonly servers: NinepServer[],
    private readonly record: string | undefined,
  ) {}

  /** Start one server per job; if one fails, those started are stopped and the error is thrown. */
  static async start(binary: string, jobs: NinepServerJob[], o: { record?: string; logFile?: (index: number) => string } = {}): Promise<NinepServerGroup> {
    const started: NinepServer[] = [];
    try {
      for (const [i, job] of jobs.entries()) started.push(await NinepServer.start(binary, job, { logFile: o.logFile?.(i) }));
    } catch (e) {
      await Promise.all(started.map((s) => s.stop()));
      throw e;
    }
    if (o.record) writeFileSync(o.record, `${JSON.stringify(started.map((s) => ({ pid: s.pid, listen: s.job.listen })))}\n`, { mode: 0o600 });
    return new NinepServerGroup(started, o.record);
  }

  get pids(): number[] {
    return this.servers.map((s) => s.pid).filter((p): p is number => p !== undefined);
  }

  async stop(): Promise<void> {
    await Promise.all(this.servers.map((s) => s.stop()));
    if (this.record) rmSync(this.record, { force: true });
  }
}

/**
 * Stop the servers an earlier berthd recorded, each only if its pid is still a berth-ninep-server
 * listening where recorded (a reused pid is left alone); the record is removed. The pids killed.
 */
export function stopRecordedNinepServers(record: string, argvOf: (pid: number) => string[] | undefined = commandLineOf): number[] {
  let entries: { pid?: unknown; listen?: unknown }[];
  try {
    entries = JSON.parse(readFileSync(record, 'utf8')) as typeof entries;
  } catch {
    return [];
  }
  const killed: number[] = [];
  for (const e of Array.isArray(entries) ? entries : []) {
    if (typeof e.pid !== 'number' || typeof e.listen !== 'string' || !Number.isInteger(e.pid) || e.pid <= 1 || !processAlive(e.pid)) continue;
    const argv = (argvOf(e.pid) ?? []).join(' ');
    if (!argv.includes(NINEP_SERVER_BINARY) && !argv.includes('ninep-server')) continue;
    if (!argv.includes(e.listen)) continue;
    try {
      process.kill(e.pid, 'SIGKILL');
      killed.push(e.pid);
    } catch {
      /* gone meanwhile */
    }
    if (e.listen.startsWith('unix:')) rmSync(e.listen.slice('unix:'.length), { force: true });
  }
  rmSync(record, { force: true });
  return killed;
}
