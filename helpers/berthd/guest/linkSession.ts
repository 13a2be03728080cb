// Owns: a guest link session over one byte transport — HELLO handshake and resync, stream table and
// ids, frame dispatch, protocol errors, liveness events and the link's close (docs/protocol.md).
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import {
  FrameDecoder,
  LINK_MAGIC,
  LinkProtocolError,
  MAX_RESET_REASON,
  MAX_TARGET,
  PROTOCOL_VERSION,
  parseHello,
  type Frame,
  type HelloPayload,
} from './frameCodec.ts';
import { FrameWriter } from './frameWriter.ts';
import { LinkLiveness } from './linkLiveness.ts';
import { LinkStream, type StreamOwner } from './linkStream.ts';

export type LinkRole = 'host' | 'guest';

export type LinkSessionOptions = {
  role?: LinkRole;
  /** The `agent` field of our HELLO. */
  agent?: string;
  pingIntervalMs?: number;
  livenessTimeoutMs?: number;
};

export type LinkSessionEvents = {
  /** The peer's HELLO (the session is established). */
  hello: [hello: HelloPayload];
  /** No PONG within the liveness timeout. */
  down: [];
  /** A PONG or HELLO after 'down'. */
  up: [];
  /** The peer broke the protocol: streams were dropped and the session resynchronises. */
  'protocol-error': [err: LinkProtocolError];
  /** The peer opened a stream; without a listener such streams are refused with RESET. */
  stream: [stream: LinkStream];
  /** The transport is gone; every stream was errored. */
  close: [err: Error | undefined];
};

export const GUEST_RESTARTED = 'guest agent restarted';
export const LINK_CLOSED = 'guest link closed';

export class LinkSession extends EventEmitter<LinkSessionEvents> implements StreamOwner {
  private readonly decoder = new FrameDecoder({ resync: true });
  private readonly writer: FrameWriter;
  private readonly liveness: LinkLiveness;
  private readonly role: LinkRole;
  private readonly agent: string;
  private readonly streams = new Map<number, LinkStream>();
  /** Streams opened before the session is established, announced once it is. */
  private pending: LinkStream[] = [];
  private nextId: number;
  private lastPeerId = 0;
  private established = false;
  private started = false;
  private downSince: number | undefined;
  private readonly livenessTimeoutMs: number;
  private closed = false;
  private transportError: Error | undefined;

  constructor(
    private readonly transport: Duplex,
    options: LinkSessionOptions = {},
  ) {
    super();
    this.role = options.role ?? 'host';
    this.agent = options.agent ?? 'berthd';
    this.nextId = this.firstOwnId();
    this.livenessTimeoutMs = options.livenessTimeoutMs ?? 6000;
    this.writer = new FrameWriter(transport);
    this.liveness = new LinkLiveness(
      { pingIntervalMs: options.pingIntervalMs ?? 2000, livenessTimeoutMs: options.livenessTimeoutMs ?? 6000 },
      {
        ping: (payload) => {
          this.writer.send({ type: 'PING', stream: 0, payload }, { droppable: true });
          this.restartIfSilent();
        },
        down: () => {
          this.downSince = Date.now();
          this.emit('down');
        },
        up: () => {
          this.downSince = undefined;
          this.emit('up');
        },
      },
    );
  }

  /** True once the peer's HELLO arrived (and until a protocol error or close). */
  get isEstablished(): boolean {
    return this.established;
  }

  /** False between 'down' and 'up'. */
  get isUp(): boolean {
    return !this.liveness.isDown;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  /** Attach to the transport, send our HELLO and start pinging. */
  start(): void {
    if (this.started || this.closed) return;
    this.started = true;
    this.transport.on('data', (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    this.transport.on('error', (err: Error) => (this.transportError ??= err));
    this.transport.on('end', () => this.close());
    this.transport.on('close', () => this.close());
    this.sendHello(false);
    this.liveness.start();
  }

  /** Open a stream to a guest target (`docker`, `tcp:<port>`, `rpc`); announced once established. */
  open(target: string): LinkStream {
    const bytes = Buffer.byteLength(target, 'utf8');
    if (bytes < 1 || bytes > MAX_TARGET) throw new RangeError(`stream target must be 1–${MAX_TARGET} bytes, got ${bytes}`);
    const stream = new LinkStream(this, target, { announce: true });
    if (this.closed) {
      stream.fail(new Error(LINK_CLOSED));
    } else if (this.established) {
      this.announce(stream);
    } else {
      this.pending.push(stream);
    }
    return stream;
  }

  /** Close the link: every stream errors with "guest link closed". */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.established = false;
    this.liveness.stop();
    this.writer.stop();
    const err = new Error(LINK_CLOSED, this.transportError ? { cause: this.transportError } : undefined);
    this.dropStreams(err, () => true);
    for (const s of this.pending.splice(0)) s.fail(err);
    this.transport.destroy();
    this.emit('close', this.transportError);
  }

  // ---- StreamOwner ----

  wake(stream: LinkStream): void {
    this.writer.wake(stream);
  }

  abort(stream: LinkStream, reason: string): void {
    const i = this.pending.indexOf(stream);
    if (i >= 0) this.pending.splice(i, 1);
    if (stream.id === 0 || this.streams.get(stream.id) !== stream) return;
    this.streams.delete(stream.id);
    if (stream.known && !this.closed) {
      this.writer.send({ type: 'RESET', stream: stream.id, payload: truncateUtf8(reason, MAX_RESET_REASON) });
    }
  }

  release(stream: LinkStream): void {
    if (this.streams.get(stream.id) === stream) this.streams.delete(stream.id);
  }

  // ---- receiving ----

  private onData(chunk: Buffer): void {
    if (this.closed) return;
    this.decoder.write(chunk);
    for (;;) {
      let frame: Frame | null;
      try {
        frame = this.decoder.next();
        if (frame === null) return;
        this.dispatch(frame);
      } catch (e) {
        if (!(e instanceof LinkProtocolError)) throw e;
        this.protocolError(e);
      }
      if (this.closed) return;
    }
  }

  private dispatch(frame: Frame): void {
    switch (frame.type) {
      case 'HELLO':
        return this.onHello(frame.payload);
      case 'PING':
        this.writer.send({ type: 'PONG', stream: 0, payload: Buffer.from(frame.payload) }, { droppable: true });
        return;
      case 'PONG':
        return this.liveness.pong(frame.payload);
      case 'OPEN':
        return this.onOpen(frame.stream, frame.payload.toString('utf8'));
      default:
        break;
    }
    const stream = this.streams.get(frame.stream);
    if (stream === undefined) return; // crossed a CLOSE or RESET in flight
    switch (frame.type) {
      case 'DATA':
        return stream.receiveData(frame.payload);
      case 'WINDOW':
        return stream.receiveWindow(frame.payload.readUInt32BE(0));
      case 'CLOSE_WRITE':
        return stream.receiveCloseWrite();
      case 'CLOSE':
        this.streams.delete(frame.stream);
        return stream.receiveClose();
      case 'RESET':
        this.streams.delete(frame.stream);
        return stream.receiveReset(frame.payload.toString('utf8'));
    }
  }

  private onHello(payload: Buffer): void {
    const hello = parseHello(payload);
    if (hello === null) throw new LinkProtocolError('bad-hello', `HELLO payload is not a ${LINK_MAGIC} JSON object`);
    const peerRestarted = new Error(GUEST_RESTARTED);
    if (hello.reply === true) {
      // An answer to our HELLO: the peer dropped what it had opened before it saw ours; our own
      // streams were opened after our HELLO and live on.
      this.dropStreams(peerRestarted, (s) => this.isPeerId(s.id));
    } else {
      this.dropStreams(peerRestarted, () => true);
      this.nextId = this.firstOwnId();
      this.sendHello(true);
    }
    this.lastPeerId = 0;
    this.established = true;
    for (const s of this.pending.splice(0)) this.announce(s);
    this.liveness.alive();
    this.emit('hello', hello);
  }

  private onOpen(id: number, target: string): void {
    if (!this.isPeerId(id) || id <= this.lastPeerId) {
      throw new LinkProtocolError('bad-open', `OPEN of stream ${id} (peer's last was ${this.lastPeerId}, role ${this.role})`);
    }
    this.lastPeerId = id;
    if (this.listenerCount('stream') === 0) {
      this.writer.send({ type: 'RESET', stream: id, payload: Buffer.from(`${this.role} accepts no streams (target ${target})`) });
      return;
    }
    const stream = new LinkStream(this, target, { id, announce: false });
    this.streams.set(id, stream);
    this.emit('stream', stream);
  }

  /**
   * A link silent for a whole liveness timeout after going down may be stuck: an agent that died in
   * the middle of a frame leaves our decoder waiting for bytes that never come, while the new agent
   * waits for our HELLO. Resynchronise and send HELLO (again each timeout while it stays silent).
   */
  private restartIfSilent(): void {
    if (this.downSince === undefined || this.closed || Date.now() - this.downSince < this.livenessTimeoutMs) return;
    this.downSince = Date.now();
    this.decoder.resync();
    this.established = false;
    this.dropStreams(new Error(`the guest link was silent for ${this.livenessTimeoutMs / 1000} s; restarting the session`), () => true);
    this.sendHello(false);
  }

  private protocolError(err: LinkProtocolError): void {
    this.decoder.resync();
    this.established = false;
    this.dropStreams(new Error(`guest link protocol error: ${err.message}`), () => true);
    this.emit('protocol-error', err);
    // Start a new session: the peer answers our HELLO with one that our resync will find.
    if (!this.closed) this.sendHello(false);
  }

  // ---- helpers ----

  private announce(stream: LinkStream): void {
    const id = this.nextId;
    if (id > 0xffff_ffff) {
      stream.fail(new Error('guest link ran out of stream ids'));
      return;
    }
    this.nextId += 2;
    this.streams.set(id, stream);
    stream.assign(id);
  }

  private dropStreams(err: Error, which: (s: LinkStream) => boolean): void {
    for (const [id, s] of [...this.streams]) {
      if (!which(s)) continue;
      this.streams.delete(id);
      s.fail(err);
    }
  }

  private sendHello(reply: boolean): void {
    const hello: Record<string, unknown> = { magic: LINK_MAGIC, version: PROTOCOL_VERSION, role: this.role, agent: this.agent };
    if (reply) hello.reply = true;
    this.writer.send({ type: 'HELLO', stream: 0, payload: Buffer.from(JSON.stringify(hello)) });
  }

  private firstOwnId(): number {
    return this.role === 'host' ? 1 : 2;
  }

  private isPeerId(id: number): boolean {
    return id % 2 === (this.role === 'host' ? 0 : 1);
  }
}

/** `text` as UTF-8 of at most `max` bytes, cut at a character boundary. */
function truncateUtf8(text: string, max: number): Buffer {
  const b = Buffer.from(text, 'utf8');
  if (b.length <= max) return b;
  let end = max;
  while (end > 0 && ((b[end] as number) & 0xc0) === 0x80) end--;
  return b.subarray(0, end);
}
