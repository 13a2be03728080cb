// Owns: one multiplexed stream of the guest link as a Node Duplex — send window and held write
// callbacks, read-driven WINDOW credit, half-close, CLOSE once both directions ended, RESET.
import { Duplex } from 'node:stream';
import { INITIAL_WINDOW, LinkProtocolError, MAX_PAYLOAD, windowPayload, type Frame } from './frameCodec.ts';
import type { FrameSource } from './frameWriter.ts';

type Callback = (err?: Error | null) => void;

/** What a stream needs from its session. */
export interface StreamOwner {
  /** The stream has frames to send. */
  wake(stream: LinkStream): void;
  /** The stream was destroyed locally: forget it and tell the peer (RESET) if it knows the stream. */
  abort(stream: LinkStream, reason: string): void;
  /** The stream sent CLOSE: forget it. */
  release(stream: LinkStream): void;
}

export class LinkStream extends Duplex implements FrameSource {
  /** Stream id; 0 while the stream waits for the session to be established. */
  id = 0;
  private announce: boolean;
  private openSent: boolean;
  /** The session forgot the stream: it sends and accepts nothing more. */
  private freed = false;
  // Sending side.
  private sendWindow = INITIAL_WINDOW;
  private out: Buffer[] = [];
  private outBytes = 0;
  private writeDone: Callback | null = null;
  private finalDone: Callback | null = null;
  private closeWriteSent = false;
  private closeSent = false;
  /** The peer sent CLOSE: what is written now is discarded. */
  private dropWrites = false;
  // Receiving side.
  private peerClosedWrite = false;
  private recvWindow = INITIAL_WINDOW;
  private received = 0;
  private creditedThrough = 0;
  private creditDue = 0;

  constructor(
    private readonly owner: StreamOwner,
    readonly target: string,
    options: { id?: number; announce: boolean },
  ) {
    super({ allowHalfOpen: true });
    this.id = options.id ?? 0;
    this.announce = options.announce;
    this.openSent = !options.announce;
  }

  /** Whether the peer may know this stream (its OPEN went out, or the peer opened it). */
  get known(): boolean {
    return this.openSent;
  }

  /** Called by the session once it can announce the stream. */
  assign(id: number): void {
    this.id = id;
    this.owner.wake(this);
  }

  // ---- FrameSource (the session's writer pulls frames in stream order) ----

  hasFrames(): boolean {
    if (this.id === 0 || this.freed) return false;
    return (
      this.announce ||
      this.creditDue > 0 ||
      (this.outBytes > 0 && this.sendWindow > 0) ||
      (this.finalDone !== null && this.outBytes === 0) ||
      (this.closeWriteSent && this.peerClosedWrite && !this.closeSent)
    );
  }

  pullFrame(): Frame | null {
    if (this.id === 0 || this.freed) return null;
    const stream = this.id;
    if (this.announce) {
      this.announce = false;
      this.openSent = true;
      return { type: 'OPEN', stream, payload: Buffer.from(this.target, 'utf8') };
    }
    if (this.creditDue > 0) {
      const increment = this.creditDue;
      this.creditDue = 0;
      return { type: 'WINDOW', stream, payload: windowPayload(increment) };
    }
    if (this.outBytes > 0 && this.sendWindow > 0) {
      const payload = this.takeOut(Math.min(MAX_PAYLOAD, this.sendWindow, this.outBytes));
      this.sendWindow -= payload.length;
      if (this.outBytes === 0) later(this.takeWriteDone());
      return { type: 'DATA', stream, payload };
    }
    if (this.finalDone !== null && this.outBytes === 0) {
      this.closeWriteSent = true;
      later(this.finalDone);
      this.finalDone = null;
      return { type: 'CLOSE_WRITE', stream, payload: Buffer.alloc(0) };
    }
    if (this.closeWriteSent && this.peerClosedWrite && !this.closeSent) {
      this.closeSent = true;
      this.freed = true;
      this.owner.release(this);
      return { type: 'CLOSE', stream, payload: Buffer.alloc(0) };
    }
    return null;
  }

  // ---- Frames from the peer (dispatched by the session) ----

  receiveData(payload: Buffer): void {
    if (this.freed || this.peerClosedWrite) return;
    if (payload.length > this.recvWindow) {
      throw new LinkProtocolError('window-exceeded', `${payload.length} bytes of DATA on stream ${this.id} with a window of ${this.recvWindow}`);
    }
    this.recvWindow -= payload.length;
    this.received += payload.length;
    this.push(payload);
    this.maybeCredit();
  }

  receiveWindow(increment: number): void {
    this.sendWindow += increment;
    if (this.outBytes > 0) this.owner.wake(this);
  }

  receiveCloseWrite(): void {
    if (this.peerClosedWrite) return;
    this.peerClosedWrite = true;
    this.push(null);
    if (this.closeWriteSent) this.owner.wake(this);
  }

  /** The peer is done both ways: EOF for the reader; later writes are discarded. */
  receiveClose(): void {
    this.freed = true;
    this.dropWrites = true;
    this.receiveCloseWrite();
    this.out = [];
    this.outBytes = 0;
    later(this.takeWriteDone());
    later(this.finalDone);
    this.finalDone = null;
  }

  receiveReset(reason: string): void {
    this.freed = true;
    const why = reason === '' ? 'no reason given' : reason;
    this.destroy(new Error(`guest reset stream ${this.id} (${this.target}): ${why}`));
  }

  /** The session dropped the stream (peer restarted, protocol error, link closed). */
  fail(err: Error): void {
    this.freed = true;
    this.destroy(err);
  }

  // ---- Duplex ----

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: Callback): void {
    this.enqueue([chunk], callback);
  }

  override _writev(chunks: { chunk: Buffer }[], callback: Callback): void {
    this.enqueue(
      chunks.map((c) => c.chunk),
      callback,
    );
  }

  override _final(callback: Callback): void {
    if (this.dropWrites || this.freed) return callback();
    this.finalDone = callback;
    this.owner.wake(this);
  }

  override _read(): void {
    this.maybeCredit();
  }

  /** Every consumption path (flowing, read(), pipes, async iteration) goes through read(). */
  override read(size?: number): unknown {
    const chunk: unknown = super.read(size);
    this.maybeCredit();
    return chunk;
  }

  override _destroy(err: Error | null, callback: Callback): void {
    const closing = this.closeWriteSent && this.peerClosedWrite;
    if (!this.freed && !closing) {
      this.freed = true;
      this.owner.abort(this, err?.message ?? 'stream destroyed');
    }
    this.out = [];
    this.outBytes = 0;
    this.finalDone = null;
    this.takeWriteDone()?.(err ?? new Error('stream destroyed'));
    callback(err);
  }

  private enqueue(chunks: Buffer[], callback: Callback): void {
    if (this.dropWrites) return callback();
    for (const c of chunks) {
      if (c.length === 0) continue;
      this.out.push(c);
      this.outBytes += c.length;
    }
    if (this.outBytes === 0) return callback();
    this.writeDone = callback;
    if (this.id !== 0) this.owner.wake(this);
  }

  private takeOut(n: number): Buffer {
    const head = this.out[0] as Buffer;
    this.outBytes -= n;
    if (head.length >= n) {
      if (head.length === n) this.out.shift();
      else this.out[0] = head.subarray(n);
      return head.subarray(0, n);
    }
    const parts: Buffer[] = [];
    let need = n;
    while (need > 0) {
      const b = this.out[0] as Buffer;
      if (b.length <= need) {
        parts.push(b);
        this.out.shift();
        need -= b.length;
      } else {
        parts.push(b.subarray(0, need));
        this.out[0] = b.subarray(need);
        need = 0;
      }
    }
    return Buffer.concat(parts, n);
  }

  private takeWriteDone(): Callback | null {
    const cb = this.writeDone;
    this.writeDone = null;
    return cb;
  }

  /** Return window for what the consumer took, once that is at least half the initial window. */
  private maybeCredit(): void {
    if (this.freed || this.peerClosedWrite || this.id === 0) return;
    const consumed = this.received - this.readableLength;
    const due = consumed - this.creditedThrough;
    if (due < INITIAL_WINDOW / 2) return;
    this.creditedThrough = consumed;
    this.creditDue += due;
    this.recvWindow += due;
    this.owner.wake(this);
  }
}

function later(cb: Callback | null): void {
  if (cb !== null) process.nextTick(cb);
}
