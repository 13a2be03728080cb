// Owns: the one interface every terminal kind (VM shell, container exec, host shell) implements for
// berthd's /v1/terminal, how a session ends (exit or failure), and TerminalFailure ({code, message, hint}).
import type { TerminalClientMessage, TerminalSpec } from '../../api/terminal.ts';

export type TerminalKind = TerminalSpec['kind'];
export type TerminalSignal = Extract<TerminalClientMessage, { type: 'signal' }>['signal'];

/** A terminal that could not start or broke: said as the contract's `error` message. */
export class TerminalFailure extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** How a session ended by itself: its process exited, or the session broke. */
export type SessionEnd = { type: 'exit'; code: number; signal?: string } | { type: 'failure'; failure: TerminalFailure };

export interface TerminalSession {
  readonly kind: TerminalKind;
  /** What it is, for the tab: "VM shell", "web-1: /bin/sh", "bash on this machine". */
  readonly title: string;
  /** Keyboard input (bytes for the pty). */
  write(data: Buffer): void;
  resize(cols: number, rows: number): void;
  signal(signal: TerminalSignal): void;
  /** Stop reading output (the socket to the client is full); resume() reads again. */
  pause(): void;
  resume(): void;
  onData(listener: (data: Buffer) => void): void;
  /** Called once when the session ends by itself; never after close(). */
  onExit(listener: (end: SessionEnd) => void): void;
  /** End the session and kill its processes; resolves once they are gone (or were given up on). */
  close(): Promise<void>;
}

/** Output kept while nobody listens yet (a shell's first prompt can come before the client is attached). */
const MAX_UNHEARD_BYTES = 256 * 1024;

/** Listener lists for the sessions: data to every listener, the end once; what came before a listener is kept for it. */
export class SessionEvents {
  private readonly dataListeners: ((data: Buffer) => void)[] = [];
  private readonly exitListeners: ((end: SessionEnd) => void)[] = [];
  private unheard: Buffer[] = [];
  private unheardBytes = 0;
  private over = false;
  private endedWith: SessionEnd | undefined;

  onData(listener: (data: Buffer) => void): void {
    this.dataListeners.push(listener);
    const kept = this.unheard;
    this.unheard = [];
    this.unheardBytes = 0;
    for (const chunk of kept) listener(chunk);
  }

  onExit(listener: (end: SessionEnd) => void): void {
    this.exitListeners.push(listener);
    const ended = this.endedWith;
    if (ended) queueMicrotask(() => listener(ended));
  }

  data(chunk: Buffer): void {
    if (this.over || chunk.length === 0) return;
    if (this.dataListeners.length === 0) {
      if (this.unheardBytes + chunk.length <= MAX_UNHEARD_BYTES) {
        this.unheard.push(chunk);
        this.unheardBytes += chunk.length;
      }
      return;
    }
    for (const l of this.dataListeners) l(chunk);
  }

  /** Report the end once; `silent` (after close()) reports nothing. */
  end(end: SessionEnd | 'silent'): void {
    if (this.over) return;
    this.over = true;
    if (end === 'silent') return;
    this.endedWith = end;
    for (const l of this.exitListeners) l(end);
  }

  get ended(): boolean {
    return this.over;
  }
}
