// Owns: the VM-shell terminal — a login shell on a pty in the guest over an `exec` link stream (the
// same request `berth shell` makes); closing drops the stream and the agent kills the process group.
import type { Duplex } from 'node:stream';
import { ExecSession } from '../guest/execSession.ts';
import { SessionEvents, TerminalFailure, type SessionEnd, type TerminalSession, type TerminalSignal } from './terminalSession.ts';

/** What `berth shell` runs without a command: root's login shell. */
export const VM_SHELL_ARGV = ['/bin/sh', '-l'];

export class VmShellSession implements TerminalSession {
  readonly kind = 'vm' as const;
  readonly title = 'VM shell';
  private readonly events = new SessionEvents();
  private readonly exec: ExecSession;

  /** `stream` is a fresh guest `exec` stream (VmManager.openGuestStream('exec')). */
  constructor(
    private readonly stream: Duplex,
    size: { cols: number; rows: number },
  ) {
    this.exec = ExecSession.start(stream, { argv: VM_SHELL_ARGV, tty: true, cols: size.cols, rows: size.rows, env: ['TERM=xterm-256color'] });
    this.exec.on('stdout', (d) => this.events.data(d));
    this.exec.on('stderr', (d) => this.events.data(d));
    this.exec.on('exit', (exit) => this.events.end({ type: 'exit', code: exit.code, ...(exit.signal ? { signal: exit.signal } : {}) }));
    this.exec.on('error', (e) => this.events.end({ type: 'failure', failure: new TerminalFailure('vm-shell-failed', `the VM shell broke: ${e.message}`, 'open a new terminal; if the VM stopped, start it with `berth start` first') }));
  }

  write(data: Buffer): void {
    if (!this.events.ended) this.exec.write(data);
  }

  resize(cols: number, rows: number): void {
    this.exec.resize(rows, cols);
  }

  signal(signal: TerminalSignal): void {
    this.exec.signal(signal);
  }

  pause(): void {
    this.stream.pause(); // the link credits the guest only for what is read: it stops sending
  }

  resume(): void {
    this.stream.resume();
  }

  onData(listener: (data: Buffer) => void): void {
    this.events.onData(listener);
  }

  onExit(listener: (end: SessionEnd) => void): void {
    this.events.onExit(listener);
  }

  async close(): Promise<void> {
    this.events.end('silent');
    this.exec.close();
  }
}
