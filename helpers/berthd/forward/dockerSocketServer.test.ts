// Owns: tests of dockerSocketServer.ts with fake guest streams: bytes both ways, half-close (T-10), the
// socket's 0600 mode, a failing opener, stream errors, close(), and the connection counters.

import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DockerSocketServer } from './dockerSocketServer.ts';

/** The guest's end of one stream: records what the host wrote, lets the test write back. */
class FakeStream extends Duplex {
  readonly received: Buffer[] = [];
  writeEnded = false;
  private readonly onEnd: (() => void)[] = [];

  constructor() {
    super({ allowHalfOpen: true });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.received.push(chunk);
    cb();
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.writeEnded = true;
    for (const f of this.onEnd.splice(0)) f();
    cb();
  }
  /** Resolves when the host side has ended its writing (CLOSE_WRITE). */
  ended(): Promise<void> {
    return this.writeEnded ? Promise.resolve() : new Promise((r) => this.onEnd.push(r));
  }
  text(): string {
    return Buffer.concat(this.received).toString('utf8');
  }
}

let dir: string;
let n = 0;
const servers: DockerSocketServer[] = [];
const sockets: Socket[] = [];
const extra: Server[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-ds-'));
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await Promise.all(servers.splice(0).map((s) => s.close()));
  await Promise.all(extra.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function serve(open: () => Duplex, log: (m: string) => void = () => {}): Promise<DockerSocketServer> {
  const s = new DockerSocketServer(join(dir, `d${n++}.sock`), open, log);
  servers.push(s);
  await s.listen();
  return s;
}

function dial(path: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const c = connect({ path, allowHalfOpen: true });
    sockets.push(c);
    c.once('connect', () => {
      c.off('error', reject);
      c.on('error', () => {});
      resolve(c);
    });
    c.once('error', reject);
  });
}

/** Resolves when the client reads EOF (it is half-open: the server's end does not close it). */
const eof = (c: Socket): Promise<void> =>
  new Promise((r) => {
    c.resume();
    c.once('end', r);
  });

/** Everything the client reads until EOF. */
function readAll(c: Socket): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    c.on('data', (d: Buffer) => chunks.push(d));
    c.once('end', () => resolve(Buffer.concat(chunks)));
    c.once('error', reject);
  });
}

async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** An opener handing out FakeStreams, keeping them for the test to look at. */
function fakeOpener(): { open: () => Duplex; streams: FakeStream[] } {
  const streams: FakeStream[] = [];
  return {
    streams,
    open: () => {
      const s = new FakeStream();
      streams.push(s);
      return s;
    },
  };
}

describe('DockerSocketServer', () => {
  it('makes the socket file mode 0600', async () => {
    const s = await serve(fakeOpener().open);
    const st = statSync(s.path);
    expect(st.isSocket()).toBe(true);
    expect(st.mode & 0o777).toBe(0o600);
  });

  it('passes bytes both ways between the client and its stream', async () => {
    const { open, streams } = fakeOpener();
    const s = await serve(open);
    const c = await dial(s.path);
    const got = readAll(c);
    c.write('GET /_ping HTTP/1.1\r\n\r\n');
    await until(() => streams[0]?.text() === 'GET /_ping HTTP/1.1\r\n\r\n', 'the request at the stream');
    streams[0]!.push('HTTP/1.1 200 OK\r\n\r\nOK');
    streams[0]!.push(null);
    expect((await got).toString()).toBe('HTTP/1.1 200 OK\r\n\r\nOK');
  });

  it('carries a megabyte each way unchanged, through a real socket pair to a fake guest', async () => {
    // The "guest": a second unix server echoing what it gets once the host half-closes.
    const guestPath = join(dir, `g${n++}.sock`);
    const guest = createServer({ allowHalfOpen: true }, (g) => {
      const parts: Buffer[] = [];
      g.on('data', (d: Buffer) => parts.push(d));
      g.on('end', () => g.end(Buffer.concat(parts)));
    });
    extra.push(guest);
    await new Promise<void>((r) => guest.listen(guestPath, r));
    const s = await serve(() => connect({ path: guestPath, allowHalfOpen: true }));
    const c = await dial(s.path);
    const payload = randomBytes(1 << 20);
    const got = readAll(c);
    c.end(payload);
    expect((await got).equals(payload)).toBe(true);
  });

  it('T-10: a client half-close reaches the stream, which can still answer; the client gets the answer, then EOF', async () => {
    const { open, streams } = fakeOpener();
    const s = await serve(open);
    const c = await dial(s.path);
    const got = readAll(c);
    c.end('request body, then CLOSE_WRITE');
    await until(() => streams.length === 1, 'the stream');
    const stream = streams[0]!;
    await stream.ended();
    expect(stream.text()).toBe('request body, then CLOSE_WRITE');
    // The stream's reading side is still open: the guest answers after the client's EOF.
    expect(stream.destroyed).toBe(false);
    stream.push('late answer 1, ');
    await new Promise((r) => setTimeout(r, 20));
    stream.push('late answer 2');
    stream.push(null);
    expect((await got).toString()).toBe('late answer 1, late answer 2');
  });

  it('T-10: the stream ending first ends the client, which can still send', async () => {
    const { open, streams } = fakeOpener();
    const s = await serve(open);
    const c = await dial(s.path);
    const got = readAll(c);
    await until(() => streams.length === 1, 'the stream');
    streams[0]!.push('bye');
    streams[0]!.push(null);
    expect((await got).toString()).toBe('bye');
    c.end('still sending after EOF');
    await streams[0]!.ended();
    expect(streams[0]!.text()).toBe('still sending after EOF');
  });

  it('closes the client when the opener throws, and logs why', async () => {
    const log: string[] = [];
    const s = await serve(() => {
      throw new Error('guest link is down');
    }, (m) => log.push(m));
    const c = await dial(s.path);
    await eof(c);
    expect(log).toContain('docker connection refused: guest link is down');
    expect(s.connectionsServed).toBe(1);
    expect(s.activeConnections).toBe(0);
  });

  it('a stream error closes the client', async () => {
    const { open, streams } = fakeOpener();
    const log: string[] = [];
    const s = await serve(open, (m) => log.push(m));
    const c = await dial(s.path);
    const ended = eof(c);
    await until(() => streams.length === 1, 'the stream');
    streams[0]!.destroy(new Error('guest reset the stream'));
    await ended;
    expect(log).toContain('docker stream ended with an error: guest reset the stream');
    await until(() => s.activeConnections === 0, 'the client to be forgotten');
  });

  it('a client that goes away: its stream sees EOF, and is destroyed when it writes to the gone client', async () => {
    // On a unix socket a vanished client looks like a half-close (T-10) until something is written to it.
    const { open, streams } = fakeOpener();
    const s = await serve(open);
    const c = await dial(s.path);
    await until(() => streams.length === 1, 'the stream');
    c.destroy();
    await streams[0]!.ended();
    expect(streams[0]!.destroyed).toBe(false);
    streams[0]!.push('an answer nobody reads');
    await until(() => streams[0]!.destroyed, 'the stream to be destroyed');
    await until(() => s.activeConnections === 0, 'the client to be forgotten');
  });

  it('counts active connections and connections served', async () => {
    const { open, streams } = fakeOpener();
    const s = await serve(open);
    expect(s.activeConnections).toBe(0);
    expect(s.connectionsServed).toBe(0);
    const a = await dial(s.path);
    const b = await dial(s.path);
    await until(() => s.activeConnections === 2, 'two active');
    expect(s.connectionsServed).toBe(2);
    // A connection is done when both directions are: the client's EOF alone leaves it active (T-10).
    const aEof = eof(a);
    a.end();
    await streams[0]!.ended();
    expect(s.activeConnections).toBe(2);
    streams[0]!.push(null);
    await aEof;
    await until(() => s.activeConnections === 1, 'one active');
    // A third, ended from the stream's side first.
    const c = await dial(s.path);
    await until(() => s.connectionsServed === 3 && s.activeConnections === 2, 'a third');
    const cEof = eof(c);
    streams[2]!.push(null);
    await cEof;
    expect(s.activeConnections).toBe(2);
    c.end();
    await until(() => s.activeConnections === 1, 'one active again');
    // The second, with both ends at once.
    const bEof = eof(b);
    b.end();
    streams[1]!.push(null);
    await bEof;
    await until(() => s.activeConnections === 0, 'none active');
    expect(s.connectionsServed).toBe(3);
  });

  it('close() ends every client, destroys their streams and removes the socket file', async () => {
    const { open, streams } = fakeOpener();
    const s = await serve(open);
    const clients = [await dial(s.path), await dial(s.path)];
    const ended = clients.map(eof);
    await until(() => streams.length === 2, 'both streams');
    await s.close();
    await Promise.all(ended);
    expect(existsSync(s.path)).toBe(false);
    expect(s.activeConnections).toBe(0);
    expect(streams.every((st) => st.destroyed)).toBe(true);
    await expect(dial(s.path)).rejects.toThrow(/ENOENT/);
    // Closing twice is harmless.
    await s.close();
  });

  it('T-13: listen() takes over a stale socket file left by a killed process, and logs it', async () => {
    const path = join(dir, `d${n++}.sock`);
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('ready'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((r) => child.stdout.once('data', r));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    expect(statSync(path).isSocket()).toBe(true);
    const log: string[] = [];
    const { open, streams } = fakeOpener();
    const s = new DockerSocketServer(path, open, (m) => log.push(m));
    servers.push(s);
    await s.listen();
    expect(log).toEqual([`removed a stale socket file at ${path}`]);
    const c = await dial(path);
    c.write('x');
    await until(() => streams[0]?.text() === 'x', 'the byte at the stream');
  });

  it('T-14: listen() refuses a socket another program answers on, and leaves it working', async () => {
    const path = join(dir, `d${n++}.sock`);
    const other = createServer((c) => {
      c.on('error', () => {});
      c.end('other');
    });
    extra.push(other);
    await new Promise<void>((r) => other.listen(path, r));
    const s = new DockerSocketServer(path, fakeOpener().open);
    await expect(s.listen()).rejects.toThrow(/is in use/);
    expect((await readAll(await dial(path))).toString()).toBe('other');
  });
});
