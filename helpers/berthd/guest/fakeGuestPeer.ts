// Owns: a scripted stand-in for berth-agent's end of the guest link, built on frameCodec.ts over a
// unix socket, for the session and RPC tests (echo/source/sink/refuse/rpc targets, HELLO, PONG).
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  encodeFrame,
  FrameDecoder,
  INITIAL_WINDOW,
  LinkProtocolError,
  MAX_PAYLOAD,
  parseHello,
  windowPayload,
  type Frame,
  type HelloPayload,
} from './frameCodec.ts';
import { LinkSession, type LinkSessionOptions } from './linkSession.ts';

export const REFUSED = 'dial /var/run/docker.sock: connection refused';

type PeerStream = {
  id: number;
  target: string;
  sendWindow: number;
  out: Buffer[];
  outBytes: number;
  /** For `source:<n>`: bytes still to produce. */
  toProduce: number;
  produced: number;
  received: number;
  /** Received bytes not yet returned with WINDOW (sink never returns them). */
  uncredited: number;
  hostClosedWrite: boolean;
  closeWriteSent: boolean;
  rpcBuffer: string;
};

export type FakeGuestOptions = { helloOnConnect?: boolean; garbage?: Buffer };

export class FakeGuestPeer {
  readonly hellos: HelloPayload[] = [];
  /** Every frame from the host except DATA, WINDOW, PING. */
  readonly log: Frame[] = [];
  readonly resets: { stream: number; reason: string }[] = [];
  readonly errors: string[] = [];
  readonly streams = new Map<number, PeerStream>();
  answerPings = true;
  pings = 0;
  pongs: Buffer[] = [];
  private readonly decoder = new FrameDecoder({ resync: true });
  private waiters: (() => void)[] = [];

  constructor(
    readonly socket: Socket,
    options: FakeGuestOptions = {},
  ) {
    socket.on('error', () => {});
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    if (options.garbage) socket.write(options.garbage);
    if (options.helloOnConnect ?? true) this.sendHello(false);
  }

  send(frame: Frame): void {
    if (!this.socket.destroyed) this.socket.write(encodeFrame(frame));
  }

  sendHello(reply: boolean): void {
    const hello = { magic: 'berth-link', version: 1, role: 'guest', agent: 'fake-0.0.0', ...(reply ? { reply: true } : {}) };
    this.send({ type: 'HELLO', stream: 0, payload: Buffer.from(JSON.stringify(hello)) });
  }

  /** Return window to the host on a stream (e.g. a sink). */
  credit(id: number, n: number): void {
    const s = this.streams.get(id);
    if (s !== undefined) s.uncredited -= n;
    this.send({ type: 'WINDOW', stream: id, payload: windowPayload(n) });
  }

  /** Resolves once `check` holds (checked after every frame from the host). */
  until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
    if (check()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`fake guest: timed out waiting for ${what}`)), timeoutMs);
      const waiter = (): void => {
        if (!check()) return;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== waiter);
        resolve();
      };
      this.waiters.push(waiter);
    });
  }

  private onData(chunk: Buffer): void {
    this.decoder.write(chunk);
    for (;;) {
      let frame: Frame | null;
      try {
        frame = this.decoder.next();
      } catch (e) {
        if (!(e instanceof LinkProtocolError)) throw e;
        this.errors.push(e.code);
        continue;
      }
      if (frame === null) break;
      this.onFrame(frame);
    }
    for (const w of [...this.waiters]) w();
  }

  private onFrame(f: Frame): void {
    if (f.type !== 'DATA' && f.type !== 'WINDOW' && f.type !== 'PING') this.log.push(f);
    if (f.type === 'HELLO') {
      const hello = parseHello(f.payload) as HelloPayload;
      this.hellos.push(hello);
      if (hello.reply !== true) {
        this.streams.clear();
        this.sendHello(true);
      }
      return;
    }
    if (f.type === 'PING') {
      this.pings++;
      if (this.answerPings) this.send({ type: 'PONG', stream: 0, payload: f.payload });
      return;
    }
    if (f.type === 'PONG') {
      this.pongs.push(Buffer.from(f.payload));
      return;
    }
    if (f.type === 'OPEN') return this.onOpen(f.stream, f.payload.toString('utf8'));
    const s = this.streams.get(f.stream);
    if (s === undefined) return;
    switch (f.type) {
      case 'DATA':
        return this.onStreamData(s, f.payload);
      case 'WINDOW':
        s.sendWindow += f.payload.readUInt32BE(0);
        return this.flush(s);
      case 'CLOSE_WRITE':
        s.hostClosedWrite = true;
        return this.flush(s);
      case 'CLOSE':
        this.streams.delete(s.id);
        return;
      case 'RESET':
        this.resets.push({ stream: s.id, reason: f.payload.toString('utf8') });
        this.streams.delete(s.id);
        return;
    }
  }

  private onOpen(id: number, target: string): void {
    if (target === 'refuse') {
      this.send({ type: 'RESET', stream: id, payload: Buffer.from(REFUSED) });
      return;
    }
    const source = /^source:(\d+)$/.exec(target);
    const s: PeerStream = {
      id,
      target,
      sendWindow: INITIAL_WINDOW,
      out: [],
      outBytes: 0,
      toProduce: source ? Number(source[1]) : 0,
      produced: 0,
      received: 0,
      uncredited: 0,
      hostClosedWrite: false,
      closeWriteSent: false,
      rpcBuffer: '',
    };
    this.streams.set(id, s);
    this.flush(s);
  }

  private onStreamData(s: PeerStream, payload: Buffer): void {
    s.received += payload.length;
    s.uncredited += payload.length;
    if (s.target === 'echo') {
      s.out.push(payload);
      s.outBytes += payload.length;
      this.flush(s);
    } else if (s.target === 'rpc') {
      this.onRpcData(s, payload);
    }
  }

  /** Send what the window allows; echo returns window as it echoes, rpc and source at once. */
  private flush(s: PeerStream): void {
    if (this.streams.get(s.id) !== s) return;
    while (s.sendWindow > 0 && (s.outBytes > 0 || s.toProduce > 0)) {
      let payload: Buffer;
      if (s.outBytes > 0) {
        const head = s.out[0] as Buffer;
        const n = Math.min(head.length, s.sendWindow, MAX_PAYLOAD);
        payload = head.subarray(0, n);
        if (n === head.length) s.out.shift();
        else s.out[0] = head.subarray(n);
        s.outBytes -= n;
      } else {
        const n = Math.min(s.toProduce, s.sendWindow, MAX_PAYLOAD);
        payload = sourceBytes(s.produced, n);
        s.produced += n;
        s.toProduce -= n;
      }
      s.sendWindow -= payload.length;
      this.send({ type: 'DATA', stream: s.id, payload });
    }
    if (s.target !== 'sink' && s.uncredited - s.outBytes >= INITIAL_WINDOW / 2) this.credit(s.id, s.uncredited - s.outBytes);
    const drained = s.outBytes === 0 && s.toProduce === 0;
    const done = s.target === 'echo' ? s.hostClosedWrite : s.target.startsWith('source:');
    if (drained && done && !s.closeWriteSent) {
      s.closeWriteSent = true;
      this.send({ type: 'CLOSE_WRITE', stream: s.id, payload: Buffer.alloc(0) });
    }
  }

  private onRpcData(s: PeerStream, payload: Buffer): void {
    this.credit(s.id, payload.length);
    s.rpcBuffer += payload.toString('utf8');
    let nl: number;
    while ((nl = s.rpcBuffer.indexOf('\n')) >= 0) {
      const req = JSON.parse(s.rpcBuffer.slice(0, nl)) as { id: number; method: string; params: Record<string, unknown> };
      s.rpcBuffer = s.rpcBuffer.slice(nl + 1);
      const answer = (body: object): void => {
        const line = Buffer.from(`${JSON.stringify({ id: req.id, ...body })}\n`);
        s.out.push(line);
        s.outBytes += line.length;
        this.flush(s);
      };
      switch (req.method) {
        case 'agent.version':
          answer({ result: { version: '0.1.0', go: 'go1.22.5', kernel: '6.1.0' } });
          break;
        case 'delay':
          setTimeout(() => answer({ result: { waited: req.params.ms } }), Number(req.params.ms));
          break;
        case 'crash':
          this.send({ type: 'RESET', stream: s.id, payload: Buffer.from('agent panicked') });
          this.streams.delete(s.id);
          return;
        case 'never':
          break;
        default:
          answer({ error: { code: 'unknown-method', message: `no method ${req.method}` } });
      }
    }
  }
}

/** Deterministic content of a `source:<n>` stream: byte i is (i * 7 + (i >> 16)) & 0xff. */
export function sourceBytes(from: number, n: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) {
    const at = from + i;
    b[i] = (at * 7 + Math.floor(at / 65_536)) & 0xff;
  }
  return b;
}

export type LinkPair = { session: LinkSession; peer: FakeGuestPeer; dispose(): Promise<void> };

/** A LinkSession (started) and a FakeGuestPeer on the two ends of a unix socket in a temp dir. */
export async function startLinkPair(sessionOptions: LinkSessionOptions = {}, peerOptions: FakeGuestOptions = {}): Promise<LinkPair> {
  const dir = mkdtempSync(join(tmpdir(), 'berth-link-'));
  const path = join(dir, 'link.sock');
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(path, resolve));
  const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
  const client = connect(path);
  await new Promise<void>((resolve, reject) => client.once('connect', resolve).once('error', reject));
  const peer = new FakeGuestPeer(await accepted, peerOptions);
  const session = new LinkSession(client, sessionOptions);
  session.start();
  return {
    session,
    peer,
    async dispose() {
      session.close();
      peer.socket.destroy();
      await new Promise((resolve) => server.close(resolve));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
