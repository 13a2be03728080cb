// Owns: the wire format of `exec` link streams (docs/protocol.md, "Exec") — message kinds and limits,
// encoders for the host's messages, and the streaming ExecMessageDecoder for either direction.
import { ByteQueue } from './byteQueue.ts';

export const EXEC_HEADER_SIZE = 5;
export const EXEC_MAX_PAYLOAD = 65_536;

/** What the host sends: start, stdin, stdin EOF, resize, signal. */
export const HOST_EXEC_KINDS = ['S', 'I', 'E', 'R', 'K'] as const;
/** What the guest sends: stdout, stderr, exit, failure to start. */
export const GUEST_EXEC_KINDS = ['O', 'e', 'X', 'F'] as const;
export type HostExecKind = (typeof HOST_EXEC_KINDS)[number];
export type GuestExecKind = (typeof GUEST_EXEC_KINDS)[number];
export type ExecKind = HostExecKind | GuestExecKind;

export type ExecMessage<K extends ExecKind = ExecKind> = { kind: K; payload: Buffer };

/** The S message: what to run. */
export type ExecStartRequest = {
  argv: string[];
  tty: boolean;
  rows?: number;
  cols?: number;
  env?: string[];
  cwd?: string;
};

/** The X message: `code` is 128+n after signal n, `signal` its name (`SIGKILL`) or null. */
export type ExecExit = { code: number; signal: string | null };

export class ExecProtocolError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ExecProtocolError';
  }
}

/** Exact payload sizes of the fixed-size kinds. */
const FIXED_SIZE: Partial<Record<ExecKind, number>> = { E: 0, R: 4, K: 1 };

/** One message: kind byte, u32 big-endian length, payload. */
export function encodeExecMessage(kind: ExecKind, payload: Buffer = Buffer.alloc(0)): Buffer {
  if (payload.length > EXEC_MAX_PAYLOAD) {
    throw new RangeError(`exec message ${kind} of ${payload.length} bytes is over ${EXEC_MAX_PAYLOAD}; split it (encodeExecStdin does)`);
  }
  const fixed = FIXED_SIZE[kind];
  if (fixed !== undefined && payload.length !== fixed) {
    throw new RangeError(`exec message ${kind} must have a ${fixed}-byte payload, got ${payload.length}`);
  }
  const header = Buffer.alloc(EXEC_HEADER_SIZE);
  header.write(kind, 0, 'latin1');
  header.writeUInt32BE(payload.length, 1);
  return Buffer.concat([header, payload]);
}

export function encodeExecStart(req: ExecStartRequest): Buffer {
  return encodeExecMessage('S', Buffer.from(JSON.stringify(req), 'utf8'));
}

/** Stdin bytes as as many I messages as the payload limit needs (none for empty data). */
export function encodeExecStdin(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  for (let at = 0; at < data.length; at += EXEC_MAX_PAYLOAD) {
    parts.push(encodeExecMessage('I', data.subarray(at, at + EXEC_MAX_PAYLOAD)));
  }
  return Buffer.concat(parts);
}

export function encodeExecResize(rows: number, cols: number): Buffer {
  for (const [name, v] of [['rows', rows], ['cols', cols]] as const) {
    if (!Number.isInteger(v) || v < 1 || v > 0xffff) throw new RangeError(`terminal ${name} must be an integer 1–65535, got ${v}`);
  }
  const p = Buffer.alloc(4);
  p.writeUInt16BE(rows, 0);
  p.writeUInt16BE(cols, 2);
  return encodeExecMessage('R', p);
}

export function encodeExecSignal(signal: number): Buffer {
  if (!Number.isInteger(signal) || signal < 1 || signal > 64) {
    throw new RangeError(`signal must be a Linux signal number 1–64 (2 SIGINT, 15 SIGTERM, 9 SIGKILL), got ${signal}`);
  }
  return encodeExecMessage('K', Buffer.from([signal]));
}

/**
 * Decodes messages from chunks cut anywhere. It accepts only the kinds of one direction
 * (the guest's by default) and throws ExecProtocolError for any other kind, a length over
 * EXEC_MAX_PAYLOAD or a wrong size for E, R or K; after an error it stays broken.
 */
export class ExecMessageDecoder<K extends ExecKind = GuestExecKind> {
  private readonly queue = new ByteQueue();
  private readonly kinds: ReadonlySet<string>;
  private broken: ExecProtocolError | null = null;

  constructor(kinds: readonly K[] = GUEST_EXEC_KINDS as unknown as readonly K[]) {
    this.kinds = new Set(kinds);
  }

  /** Bytes held for a message not complete yet. */
  get buffered(): number {
    return this.queue.length;
  }

  /** Add a chunk; returns the messages it completed. */
  push(chunk: Buffer): ExecMessage<K>[] {
    if (this.broken !== null) throw this.broken;
    this.queue.push(chunk);
    const out: ExecMessage<K>[] = [];
    while (this.queue.length >= EXEC_HEADER_SIZE) {
      const header = this.queue.peek(EXEC_HEADER_SIZE);
      const kind = String.fromCharCode(header[0] as number);
      const length = header.readUInt32BE(1);
      this.check(header[0] as number, kind, length);
      if (this.queue.length < EXEC_HEADER_SIZE + length) break;
      this.queue.skip(EXEC_HEADER_SIZE);
      out.push({ kind: kind as K, payload: Buffer.from(this.queue.read(length)) });
    }
    return out;
  }

  /** The input ended: throws if it ended in the middle of a message. */
  end(): void {
    if (this.broken === null && this.queue.length > 0) {
      this.fail(`the exec stream ended in the middle of a message (${this.queue.length} bytes of it arrived)`);
    }
  }

  private check(code: number, kind: string, length: number): void {
    if (!this.kinds.has(kind)) {
      const shown = code >= 0x21 && code < 0x7f ? `'${kind}'` : `0x${code.toString(16).padStart(2, '0')}`;
      this.fail(`unknown exec message kind ${shown}; expected one of ${[...this.kinds].join(', ')}`);
    }
    if (length > EXEC_MAX_PAYLOAD) this.fail(`exec message ${kind} has a length of ${length} bytes, over the limit of ${EXEC_MAX_PAYLOAD}`);
    const fixed = FIXED_SIZE[kind as ExecKind];
    if (fixed !== undefined && length !== fixed) this.fail(`exec message ${kind} must have a ${fixed}-byte payload, got ${length}`);
  }

  private fail(message: string): never {
    this.broken = new ExecProtocolError(message);
    this.queue.clear();
    throw this.broken;
  }
}
