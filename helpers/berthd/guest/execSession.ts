// Owns: the host's side of one `exec` link stream (a process in the guest) — ExecSession with its
// stdin, resize, signal and close, its stdout/stderr/exit/error events, and runInGuest for one-shot commands.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  encodeExecMessage,
  encodeExecResize,
  encodeExecSignal,
  encodeExecStart,
  encodeExecStdin,
  ExecMessageDecoder,
  type ExecExit,
  type ExecMessage,
  type GuestExecKind,
} from './execFrames.ts';

export type { ExecExit } from './execFrames.ts';

/** What to run: `argv[0]` is a path, or a name looked up in the guest's PATH. */
export type ExecRequest = {
  argv: string[];
  /** Run on a pty (stdout and stderr both arrive as `stdout`). Default false. */
  tty?: boolean;
  /** Initial pty size; 24×80 when omitted. */
  rows?: number;
  cols?: number;
  /** `NAME=value` entries added to the guest's base environment (PATH, HOME, TERM with a tty). */
  env?: string[];
  /** Working directory; /root when omitted. */
  cwd?: string;
};

export type ExecSessionEvents = {
  stdout: [data: Buffer];
  stderr: [data: Buffer];
  /** The process exited and all its output was delivered. */
  exit: [exit: ExecExit];
  /** The process could not start (the guest's F message), the stream was reset or broke, or it ended without an exit status. */
  error: [err: Error];
  /** The stream can take stdin again after write() returned false. */
  drain: [];
};

/** Linux signal numbers (the guest's, whatever the host's OS numbers them). */
export const LINUX_SIGNALS = {
  SIGHUP: 1,
  SIGINT: 2,
  SIGQUIT: 3,
  SIGKILL: 9,
  SIGUSR1: 10,
  SIGUSR2: 12,
  SIGTERM: 15,
  SIGCONT: 18,
  SIGSTOP: 19,
  SIGTSTP: 20,
  SIGWINCH: 28,
} as const;
export type LinuxSignalName = keyof typeof LINUX_SIGNALS;

export class ExecSession extends EventEmitter<ExecSessionEvents> {
  private readonly decoder = new ExecMessageDecoder<GuestExecKind>();
  private inputEnded = false;
  /** Exit, error or close happened: no more events. */
  private finished = false;
  private exitInfo: ExecExit | null = null;

  /** Send the start request on a fresh `exec` stream (what `LinkSession.open('exec')` returns). */
  static start(stream: Duplex, request: ExecRequest): ExecSession {
    if (request.argv.length === 0) throw new RangeError('exec needs argv with at least the program to run, e.g. ["/bin/sh","-c","echo hi"]');
    const session = new ExecSession(stream, request.argv[0] as string);
    stream.write(encodeExecStart({ ...request, tty: request.tty ?? false }));
    return session;
  }

  private constructor(
    private readonly stream: Duplex,
    private readonly program: string,
  ) {
    super();
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('end', () => this.onEnd());
    stream.on('error', (err: Error) => this.fail(err));
    stream.on('close', () => this.fail(new Error(`the exec stream of ${this.program} closed before the process exited`)));
    stream.on('drain', () => this.emit('drain'));
  }

  /** The exit status once `exit` was emitted. */
  get exit(): ExecExit | null {
    return this.exitInfo;
  }

  /** Send stdin bytes; false when the stream buffers more than its high-water mark (wait for `drain`). */
  write(data: Buffer | string): boolean {
    if (this.inputEnded) throw new Error(`stdin of ${this.program} was already ended with endInput(); start another exec for more input`);
    const bytes = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.finished || bytes.length === 0) return !this.finished;
    return this.stream.write(encodeExecStdin(bytes));
  }

  /** End stdin: the guest closes the process's stdin pipe (with a tty it only stops forwarding input). */
  endInput(): void {
    if (this.inputEnded) return;
    this.inputEnded = true;
    if (!this.finished) this.stream.write(encodeExecMessage('E'));
  }

  /** Set the pty's window size (ignored by the guest without a tty). */
  resize(rows: number, cols: number): void {
    const message = encodeExecResize(rows, cols);
    if (!this.finished) this.stream.write(message);
  }

  /** Send a signal to the process group: a Linux signal number or name (2 / 'SIGINT'). */
  signal(signal: number | LinuxSignalName): void {
    const message = encodeExecSignal(typeof signal === 'number' ? signal : LINUX_SIGNALS[signal]);
    if (!this.finished) this.stream.write(message);
  }

  /** Drop the stream: a process still running is killed (SIGKILL to its group). No event follows. */
  close(): void {
    this.finished = true;
    this.stream.destroy();
  }

  private onData(chunk: Buffer): void {
    let messages: ExecMessage<GuestExecKind>[];
    try {
      messages = this.decoder.push(chunk);
    } catch (e) {
      const reason = (e as Error).message;
      this.fail(new Error(`the guest sent a bad exec message for ${this.program}: ${reason}`), reason);
      return;
    }
    for (const m of messages) {
      if (this.finished) return;
      this.onMessage(m);
    }
  }

  private onMessage(m: ExecMessage<GuestExecKind>): void {
    switch (m.kind) {
      case 'O':
        this.emit('stdout', m.payload);
        return;
      case 'e':
        this.emit('stderr', m.payload);
        return;
      case 'X': {
        const exit = parseExit(m.payload);
        if (exit === null) return this.fail(new Error(`the guest sent an unreadable exit status for ${this.program}: ${m.payload.toString('utf8').slice(0, 200)}`));
        this.finished = true;
        this.exitInfo = exit;
        this.stream.end(); // the guest closes its side after X; finish ours
        this.emit('exit', exit);
        return;
      }
      case 'F':
        return this.fail(new Error(`the guest could not start ${this.program}: ${parseFailure(m.payload)}`));
    }
  }

  private onEnd(): void {
    try {
      this.decoder.end();
    } catch (e) {
      return this.fail(e as Error);
    }
    this.fail(new Error(`the exec stream of ${this.program} ended without an exit status; the guest agent may have stopped`));
  }

  /** Report the first failure (if nothing was reported yet) and drop the stream (RESET with resetReason). */
  private fail(err: Error, resetReason?: string): void {
    if (this.finished) return;
    this.finished = true;
    this.stream.destroy(resetReason === undefined ? undefined : new Error(resetReason));
    this.emit('error', err);
  }
}

function parseExit(payload: Buffer): ExecExit | null {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { code?: unknown; signal?: unknown };
    if (typeof v.code !== 'number') return null;
    return { code: v.code, signal: typeof v.signal === 'string' ? v.signal : null };
  } catch {
    return null;
  }
}

function parseFailure(payload: Buffer): string {
  try {
    const v = JSON.parse(payload.toString('utf8')) as { message?: unknown };
    if (typeof v.message === 'string') return v.message;
  } catch {
    // fall through to the raw text
  }
  return payload.toString('utf8').slice(0, 500);
}

export type RunInGuestOptions = Omit<ExecRequest, 'argv'> & {
  /** Written to stdin before it is ended; stdin is ended at once without it. */
  stdin?: Buffer | string;
  /** Kill the process (close the stream) and reject after this long. No limit when omitted. */
  timeoutMs?: number;
};

export type RunInGuestResult = ExecExit & { stdout: Buffer; stderr: Buffer };

/** Run a command in the guest to its end and collect its output; rejects if it cannot start or times out. */
export function runInGuest(open: () => Duplex, argv: string[], opts: RunInGuestOptions = {}): Promise<RunInGuestResult> {
  const { stdin, timeoutMs, ...request } = opts;
  return new Promise<RunInGuestResult>((resolve, reject) => {
    const session = ExecSession.start(open(), { ...request, argv });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timer: NodeJS.Timeout | undefined;
    if (timeoutMs !== undefined) {
      timer = setTimeout(() => {
        session.close();
        reject(new Error(`${argv[0]} did not finish within ${timeoutMs} ms in the guest; it was killed (raise timeoutMs if it needs longer)`));
      }, timeoutMs);
    }
    session.on('stdout', (d) => out.push(d));
    session.on('stderr', (d) => err.push(d));
    session.on('exit', (exit) => {
      clearTimeout(timer);
      resolve({ ...exit, stdout: Buffer.concat(out), stderr: Buffer.concat(err) });
    });
    session.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    if (stdin !== undefined) session.write(stdin);
    session.endInput();
  });
}
