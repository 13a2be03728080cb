// Owns: the host-shell terminal — a process on a node-pty pty in berthd, its resize and signals, and
// its end: SIGHUP to the foreground and the shell's process groups, SIGKILL for what outlives that (T-41).
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { spawn, type IPty } from 'node-pty';
import { SessionEvents, TerminalFailure, type SessionEnd, type TerminalSession, type TerminalSignal } from './terminalSession.ts';

export type HostProcess = { file: string; args: string[]; cwd: string; env: Record<string, string>; title: string; cols: number; rows: number };

/** How long the group has after SIGHUP before SIGKILL, and after SIGKILL before close() gives up. */
const HANGUP_GRACE_MS = 2000;
const KILL_GRACE_MS = 2000;
/**
 * node-pty drops what is left in the pty 200 ms after the process exits if nobody reads it, so a paused
 * session looks this often for its process being gone and then reads the rest.
 */
const PAUSED_EXIT_POLL_MS = 40;

function signalName(n: number): string | undefined {
  return Object.entries(constants.signals).find(([, v]) => v === n)?.[0];
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // the group is gone already
  }
}

/** The process was reaped (node-pty waits for its child at once), so kill(0) finds nothing. */
function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** The foreground process group of the pty (Linux: tpgid of /proc/<leader>/stat), else the leader's group. */
function foregroundGroup(leader: number): number {
  try {
    const stat = readFileSync(`/proc/${leader}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const tpgid = Number(fields[5]);
    if (Number.isInteger(tpgid) && tpgid > 1) return tpgid;
  } catch {
    // not Linux, or the leader is gone
  }
  return leader;
}

export class HostShellSession implements TerminalSession {
  readonly kind = 'host' as const;
  readonly title: string;
  private readonly events = new SessionEvents();
  private readonly pty: IPty;
  private exited = false;
  private readonly exitWaiters: (() => void)[] = [];
  private closing: Promise<void> | undefined;
  private exitPoll: NodeJS.Timeout | undefined;

  /** Start the process; throws TerminalFailure when it cannot be started. */
  constructor(p: HostProcess) {
    this.title = p.title;
    try {
      this.pty = spawn(p.file, p.args, { name: 'xterm-256color', cols: p.cols, rows: p.rows, cwd: p.cwd, env: p.env, encoding: null });
    } catch (e) {
      throw new TerminalFailure('start-failed', `could not start ${p.file} on this machine: ${(e as Error).message}`, 'set SHELL to a shell that exists (e.g. /bin/bash) and restart Berth');
    }
    // With `encoding: null` node-pty hands over Buffers (its typings say string).
    this.pty.onData((d: string | Buffer) => this.events.data(typeof d === 'string' ? Buffer.from(d, 'utf8') : d));
    this.pty.onExit(({ exitCode, signal }) => {
      this.exited = true;
      this.stopExitPoll();
      for (const w of this.exitWaiters.splice(0)) w();
      const name = signal ? signalName(signal) : undefined;
      const end: SessionEnd = signal ? { type: 'exit', code: 128 + signal, ...(name ? { signal: name } : {}) } : { type: 'exit', code: exitCode };
      this.events.end(end);
    });
  }

  get pid(): number {
    return this.pty.pid;
  }

  write(data: Buffer): void {
    if (!this.exited && !this.closing) this.pty.write(data);
  }

  resize(cols: number, rows: number): void {
    if (this.exited || this.closing) return;
    try {
      this.pty.resize(cols, rows);
    } catch {
      // the pty closed between the check and the call
    }
  }

  signal(signal: TerminalSignal): void {
    if (!this.exited && !this.closing) killGroup(foregroundGroup(this.pty.pid), signal);
  }

  pause(): void {
    // Once the process is gone, what it left is read at once (see PAUSED_EXIT_POLL_MS).
    if (this.exited || processGone(this.pty.pid)) return;
    this.pty.pause();
    this.exitPoll ??= setInterval(() => {
      if (!processGone(this.pty.pid)) return;
      this.resume(); // the process is gone: read what it left before node-pty throws it away
    }, PAUSED_EXIT_POLL_MS);
  }

  resume(): void {
    this.stopExitPoll();
    this.pty.resume();
  }

  private stopExitPoll(): void {
    clearInterval(this.exitPoll);
    this.exitPoll = undefined;
  }

  onData(listener: (data: Buffer) => void): void {
    this.events.onData(listener);
  }

  onExit(listener: (end: SessionEnd) => void): void {
    this.events.onExit(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.hangUp();
    return this.closing;
  }

  private async hangUp(): Promise<void> {
    this.events.end('silent');
    if (this.exited) return;
    const pgid = this.pty.pid;
    killGroup(foregroundGroup(pgid), 'SIGHUP');
    killGroup(pgid, 'SIGHUP');
    this.resume(); // a paused pty would never read to its end
    if (await this.exitWithin(HANGUP_GRACE_MS)) return;
    killGroup(pgid, 'SIGKILL');
    await this.exitWithin(KILL_GRACE_MS);
  }

  private exitWithin(ms: number): Promise<boolean> {
    if (this.exited) return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      this.exitWaiters.push(() => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  }
}
