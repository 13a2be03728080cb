// Owns: the guest link's wire format (docs/protocol.md) — frame types and limits, LinkProtocolError,
// encodeFrame, and the streaming FrameDecoder with its HELLO resync mode.
import { ByteQueue } from './byteQueue.ts';

export const HEADER_SIZE = 12;
export const MAX_PAYLOAD = 65_536;
export const INITIAL_WINDOW = 262_144;
export const MAX_TARGET = 1024;
export const MAX_RESET_REASON = 1024;
export const MAX_HELLO = 4096;
export const PING_SIZE = 8;
export const LINK_MAGIC = 'berth-link';
export const PROTOCOL_VERSION = 1;
/** A HELLO frame's first 8 header bytes: type 0x7f, flags 0, reserved 0, stream 0. */
export const HELLO_HEADER = Buffer.from('7f00000000000000', 'hex');

export const FRAME_CODES = {
  OPEN: 0x01,
  DATA: 0x02,
  WINDOW: 0x03,
  CLOSE_WRITE: 0x04,
  CLOSE: 0x05,
  RESET: 0x06,
  PING: 0x07,
  PONG: 0x08,
  HELLO: 0x7f,
} as const;
export type FrameType = keyof typeof FRAME_CODES;
const TYPE_BY_CODE = new Map<number, FrameType>(Object.entries(FRAME_CODES).map(([k, v]) => [v, k as FrameType]));

export type Frame = { type: FrameType; stream: number; payload: Buffer };

/** What a HELLO carries (unknown extra fields are kept). */
export type HelloPayload = { magic: string; version: number; role: string; agent: string; reply?: boolean; [k: string]: unknown };

/** The decoder's codes (shared vectors) and the session's own protocol violations. */
export type LinkErrorCode =
  | 'unknown-type'
  | 'reserved-nonzero'
  | 'too-long'
  | 'bad-payload'
  | 'bad-stream'
  | 'bad-open'
  | 'window-exceeded'
  | 'bad-hello';

export class LinkProtocolError extends Error {
  constructor(
    readonly code: LinkErrorCode,
    message: string,
  ) {
    super(`${code}: ${message}`);
    this.name = 'LinkProtocolError';
  }
}

/** Payload length rule per type: [min, max]; link frames are the ones on stream 0. */
const LIMITS: Record<FrameType, { min: number; max: number; link: boolean }> = {
  OPEN: { min: 1, max: MAX_TARGET, link: false },
  DATA: { min: 1, max: MAX_PAYLOAD, link: false },
  WINDOW: { min: 4, max: 4, link: false },
  CLOSE_WRITE: { min: 0, max: 0, link: false },
  CLOSE: { min: 0, max: 0, link: false },
  RESET: { min: 0, max: MAX_RESET_REASON, link: false },
  PING: { min: PING_SIZE, max: PING_SIZE, link: true },
  PONG: { min: PING_SIZE, max: PING_SIZE, link: true },
  HELLO: { min: 1, max: MAX_HELLO, link: true },
};

/**
 * Validate a header, checking its fields in wire order. Decided on the header alone (never waits for
 * a payload it will reject): any wrong size for a fixed-size type (WINDOW, PING, PONG, the empty
 * CLOSE_WRITE and CLOSE) is `bad-payload`; over a variable-size type's maximum is `too-long`; an
 * empty OPEN, DATA or HELLO is `bad-payload`. (Same rule order as the Go codec.)
 */
export function checkHeader(code: number, flags: number, reserved: number, stream: number, length: number): FrameType {
  const type = TYPE_BY_CODE.get(code);
  if (type === undefined) throw new LinkProtocolError('unknown-type', `frame type 0x${code.toString(16).padStart(2, '0')}`);
  if (flags !== 0 || reserved !== 0) throw new LinkProtocolError('reserved-nonzero', `${type} with flags ${flags}, reserved ${reserved}`);
  const rule = LIMITS[type];
  if (rule.link && stream !== 0) throw new LinkProtocolError('bad-stream', `${type} on stream ${stream}`);
  if (!rule.link && stream === 0) throw new LinkProtocolError('bad-stream', `${type} on stream 0`);
  if (rule.min === rule.max && length !== rule.max) {
    throw new LinkProtocolError('bad-payload', `${type} payload of ${length} bytes; it must be exactly ${rule.max}`);
  }
  if (length > rule.max) throw new LinkProtocolError('too-long', `${type} payload of ${length} bytes; the limit is ${rule.max}`);
  if (length < rule.min) throw new LinkProtocolError('bad-payload', `${type} payload is empty`);
  return type;
}

/** Payload rules beyond the size (checked once the payload is in). */
function checkPayload(type: FrameType, payload: Buffer): void {
  if (type === 'WINDOW' && payload.readUInt32BE(0) === 0) throw new LinkProtocolError('bad-payload', 'WINDOW increment 0');
}

/** Encode one frame; throws LinkProtocolError for a frame the spec forbids (a bug in the caller). */
export function encodeFrame(frame: Frame): Buffer {
  const { type, stream, payload } = frame;
  if (!Number.isInteger(stream) || stream < 0 || stream > 0xffff_ffff) throw new RangeError(`stream id ${stream}`);
  checkHeader(FRAME_CODES[type], 0, 0, stream, payload.length);
  checkPayload(type, payload);
  const out = Buffer.allocUnsafe(HEADER_SIZE + payload.length);
  out.writeUInt8(FRAME_CODES[type], 0);
  out.writeUInt8(0, 1);
  out.writeUInt16BE(0, 2);
  out.writeUInt32BE(stream, 4);
  out.writeUInt32BE(payload.length, 8);
  payload.copy(out, HEADER_SIZE);
  return out;
}

export function windowPayload(increment: number): Buffer {
  const b = Buffer.allocUnsafe(4);
  b.writeUInt32BE(increment, 0);
  return b;
}

/** A HELLO payload parsed, or null when it is not JSON with the right magic. */
export function parseHello(payload: Buffer): HelloPayload | null {
  let v: unknown;
  try {
    v = JSON.parse(payload.toString('utf8'));
  } catch {
    return null;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return null;
  const hello = v as HelloPayload;
  return hello.magic === LINK_MAGIC ? hello : null;
}

type Header = { type: FrameType; stream: number; length: number };
const JSON_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d]);

/**
 * Turns a byte stream into frames. Feed it with write() and take frames with next() (or both with
 * push()). A rejected frame throws LinkProtocolError and leaves the decoder in resync mode; in
 * resync mode it discards bytes until a HELLO whose payload parses with the right magic.
 * Payloads may be views into the pushed chunks: do not reuse a chunk's memory after pushing it.
 */
export class FrameDecoder {
  private readonly queue = new ByteQueue();
  private header: Header | null = null;
  private resyncing: boolean;
  /** Resync: payload bytes of the current HELLO candidate already scanned for NUL. */
  private candidateScanned = 0;

  constructor(options: { resync?: boolean } = {}) {
    this.resyncing = options.resync ?? false;
  }

  get inResync(): boolean {
    return this.resyncing;
  }

  get buffered(): number {
    return this.queue.length;
  }

  /** Drop frame alignment: from the current position, look for a HELLO again. */
  resync(): void {
    this.resyncing = true;
    this.header = null;
    this.candidateScanned = 0;
  }

  write(chunk: Buffer): void {
    this.queue.push(chunk);
  }

  push(chunk: Buffer): Frame[] {
    this.write(chunk);
    const frames: Frame[] = [];
    for (let f = this.next(); f !== null; f = this.next()) frames.push(f);
    return frames;
  }

  /** The next complete frame, or null when more bytes are needed. */
  next(): Frame | null {
    if (this.resyncing) return this.nextHello();
    try {
      return this.nextFrame();
    } catch (e) {
      this.resync();
      throw e;
    }
  }

  private nextFrame(): Frame | null {
    if (this.header === null) {
      if (this.queue.length < HEADER_SIZE) return null;
      const h = this.queue.peek(HEADER_SIZE);
      const length = h.readUInt32BE(8);
      const stream = h.readUInt32BE(4);
      const type = checkHeader(h.readUInt8(0), h.readUInt8(1), h.readUInt16BE(2), stream, length);
      this.header = { type, stream, length };
    }
    const { type, stream, length } = this.header;
    if (this.queue.length < HEADER_SIZE + length) return null;
    if (type === 'WINDOW') checkPayload(type, this.queue.peek(HEADER_SIZE + length).subarray(HEADER_SIZE));
    this.queue.skip(HEADER_SIZE);
    const payload = this.queue.read(length);
    this.header = null;
    return { type, stream, payload };
  }

  /** Resync mode: discard bytes up to a valid HELLO, return it and go back to frame mode. */
  private nextHello(): Frame | null {
    const q = this.queue;
    for (;;) {
      const at = q.indexOf(HELLO_HEADER[0] as number);
      if (at < 0) {
        q.clear();
        this.candidateScanned = 0;
        return null;
      }
      if (at > 0) {
        q.skip(at);
        this.candidateScanned = 0;
      }
      const verdict = this.judgeCandidate();
      if (verdict === 'wait') return null;
      if (verdict === 'reject') {
        q.skip(1);
        this.candidateScanned = 0;
        continue;
      }
      const frame: Frame = { type: 'HELLO', stream: 0, payload: verdict };
      q.skip(HEADER_SIZE + verdict.length);
      this.candidateScanned = 0;
      this.resyncing = false;
      return frame;
    }
  }

  /** Is the 0x7f at the queue's front the start of a valid HELLO? Returns its payload when it is. */
  private judgeCandidate(): 'wait' | 'reject' | Buffer {
    const q = this.queue;
    const headerBytes = Math.min(q.length, HELLO_HEADER.length);
    for (let i = 1; i < headerBytes; i++) if (q.byteAt(i) !== HELLO_HEADER[i]) return 'reject';
    if (q.length < HEADER_SIZE) return 'wait';
    const length = q.peek(HEADER_SIZE).readUInt32BE(8);
    if (length < 1 || length > MAX_HELLO) return 'reject';
    // JSON text never holds a raw NUL and a HELLO is an object: reject early rather than wait for
    // up to 4 KiB that a stale, cut-off header announced while the real HELLO is already here.
    const available = Math.min(length, q.length - HEADER_SIZE);
    for (let i = 0; i < available; i++) {
      const c = q.byteAt(HEADER_SIZE + i);
      if (c === 0x7b) break;
      if (!JSON_SPACE.has(c)) return 'reject';
    }
    if (this.candidateScanned < available) {
      const nul = q.indexOf(0, HEADER_SIZE + this.candidateScanned);
      if (nul >= 0 && nul < HEADER_SIZE + available) return 'reject';
      this.candidateScanned = available;
    }
    if (available < length) return 'wait';
    const payload = Buffer.from(q.peek(HEADER_SIZE + length).subarray(HEADER_SIZE));
    return parseHello(payload) === null ? 'reject' : payload;
  }
}
