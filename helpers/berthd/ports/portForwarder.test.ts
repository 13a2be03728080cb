// Owns: tests of portForwarder.ts over real sockets on 127.0.0.1, local servers standing in for the guest:
// bytes and counters, removal, a held port (T-07), 200 overlapping reconciles (T-08), RESET, close().
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { get } from 'node:http';
import { createServer as createHttpServer } from 'node:http';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import type { PortForward } from '../../api/ports.ts';
import { seededPrng } from '../guest/seededPrng.ts';
import { PortForwarder, portTrouble } from './portForwarder.ts';
import type { DesiredForward } from './publishedPorts.ts';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

function listen(server: Server, port = 0, host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host, exclusive: true }, () => resolve((server.address() as { port: number }).port));
  });
}
const closeServer = (s: Server) => new Promise<void>((r) => s.close(() => r()));

async function freePort(): Promise<number> {
  const s = createServer();
  const port = await listen(s);
  await closeServer(s);
  return port;
}

/** An echo server standing in for a container's port in the guest. */
async function echoServer(): Promise<number> {
  const s = createServer({ allowHalfOpen: true }, (c) => c.pipe(c));
  cleanup.push(() => closeServer(s));
  return listen(s);
}

/** `open` of the guest link: `tcp:<port>` reaches the local server mapped for that port, or is RESET like a refused dial. */
function guest(map: Map<number, number>) {
  const opened: string[] = [];
  const open = (target: string): Duplex => {
    opened.push(target);
    const local = map.get(Number(target.replace(/^tcp:/, '')));
    if (local === undefined) {
      const d = new Duplex({ read() {}, write(_c, _e, cb) { cb(); } });
      setImmediate(() => d.destroy(new Error(`dial tcp 127.0.0.1:${target.slice(4)}: connect: connection refused`)));
      return d;
    }
    return connect({ port: local, host: '127.0.0.1', allowHalfOpen: true });
  };
  return { open, opened };
}

function forwarder(map: Map<number, number>, retryConflictMs = 2000) {
  const logs: string[] = [];
  const g = guest(map);
  const f = new PortForwarder({ open: g.open, log: (m) => logs.push(m) }, { retryConflictMs });
  cleanup.push(() => f.close());
  return { f, logs, opened: g.opened };
}

const fwd = (hostPort: number, hostAddress = '127.0.0.1'): DesiredForward => ({ containerId: 'c1', containerName: 'web', containerPort: 80, protocol: 'tcp', guestHostIp: '0.0.0.0', hostAddress, hostPort, state: 'forwarding' });

/** Connects, sends `data`, half-closes and collects the reply until the connection closes. */
function roundTrip(port: number, data: Buffer | string): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const c = connect({ port, host: '127.0.0.1', allowHalfOpen: true });
    const got: Buffer[] = [];
    c.on('data', (b: Buffer) => got.push(b));
    c.on('error', reject);
    c.on('close', () => resolve(Buffer.concat(got)));
    c.end(data);
  });
}

/** Whether something accepts connections on the port (refused: false). */
function answers(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect({ port, host });
    c.once('connect', () => (c.destroy(), resolve(true)));
    c.once('error', () => resolve(false));
  });
}

async function until(cond: () => boolean | Promise<boolean>, ms: number): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Listening handles of this process, once closed ones are gone (libuv frees a handle a loop turn after its close). */
async function tcpServers(): Promise<number> {
  await new Promise((r) => setTimeout(r, 20));
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPServerWrap').length;
}
const state = (f: PortForwarder, port: number): PortForward | undefined => f.list().find((x) => x.hostPort === port);

describe('PortForwarder', () => {
  it('forwards a host connection to tcp:<port> and counts bytes and connections', async () => {
    const port = await freePort();
    const { f, opened } = forwarder(new Map([[port, await echoServer()]]));
    const changes: PortForward[][] = [];
    f.on('change', (l: PortForward[]) => changes.push(l));
    await f.reconcile([fwd(port)]);
    expect(changes.at(-1)?.[0]).toMatchObject({ hostPort: port, state: 'forwarding' });
    expect((await roundTrip(port, 'hello')).toString()).toBe('hello');
    expect((await roundTrip(port, 'again!')).toString()).toBe('again!');
    expect(opened).toEqual([`tcp:${port}`, `tcp:${port}`]);
    expect(state(f, port)).toMatchObject({ state: 'forwarding', bytesIn: 11, bytesOut: 11, connections: 2 });
  });

  it('serves HTTP from the "container"', async () => {
    const web = createHttpServer((_req, res) => res.end('hello from the container'));
    cleanup.push(() => closeServer(web as unknown as Server));
    const guestPort = await listen(web as unknown as Server);
    const port = await freePort();
    const { f } = forwarder(new Map([[port, guestPort]]));
    await f.reconcile([fwd(port)]);
    const body = await new Promise<string>((resolve, reject) => {
      get(`http://127.0.0.1:${port}/`, (res) => {
        let s = '';
        res.on('data', (d: Buffer) => (s += d));
        res.on('end', () => resolve(s));
      }).on('error', reject);
    });
    expect(body).toBe('hello from the container');
  });

  it('carries 20 MB both ways intact', async () => {
    const port = await freePort();
    const { f } = forwarder(new Map([[port, await echoServer()]]));
    await f.reconcile([fwd(port)]);
    const data = randomBytes(20 * 1024 * 1024);
    const back = await roundTrip(port, data);
    expect(back.length).toBe(data.length);
    expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(data).digest('hex'));
    await until(() => state(f, port)?.bytesOut === data.length, 1000);
    expect(state(f, port)?.bytesIn).toBe(data.length);
  });

  it('closes a removed forward within 1 s, its open connections too, and keeps the others', async () => {
    const [a, b] = [await freePort(), await freePort()];
    const echo = await echoServer();
    const { f } = forwarder(new Map([[a, echo], [b, echo]]));
    await f.reconcile([fwd(a), fwd(b)]);
    const open = connect({ port: a, host: '127.0.0.1' });
    await new Promise((r) => open.once('connect', r));
    const closed = new Promise((r) => open.once('close', r));
    const t0 = Date.now();
    await f.reconcile([fwd(b)]);
    await closed;
    expect(await answers(a)).toBe(false);
    expect(Date.now() - t0).toBeLessThan(1000);
    expect((await roundTrip(b, 'still here')).toString()).toBe('still here');
    expect(f.list().map((x) => x.hostPort)).toEqual([b]);
  });

  it('is idempotent: the same set keeps listeners, connections and counters, and emits nothing', async () => {
    const port = await freePort();
    const { f } = forwarder(new Map([[port, await echoServer()]]));
    await f.reconcile([fwd(port)]);
    await roundTrip(port, 'abc');
    const c = connect({ port, host: '127.0.0.1' });
    await new Promise((r) => c.once('connect', r));
    let changes = 0;
    f.on('change', () => changes++);
    await f.reconcile([fwd(port)]);
    await f.reconcile([{ ...fwd(port), containerId: 'c2' }, fwd(port)]);
    expect(changes).toBe(1); // the new container id only
    expect(c.destroyed).toBe(false);
    const echoed = new Promise<string>((r) => c.once('data', (d: Buffer) => r(String(d))));
    c.write('live');
    expect(await echoed).toBe('live');
    c.destroy();
    expect(state(f, port)).toMatchObject({ containerId: 'c2', bytesIn: 7, connections: 2 });
  });

  it('T-07: a port held by another program is a conflict naming it, retried until free; other forwards work', async () => {
    const [held, other] = [await freePort(), await freePort()];
    const echo = await echoServer();
    const squatter = createServer((c) => c.end('squatter'));
    await listen(squatter, held);
    let squatting = true;
    cleanup.push(() => (squatting ? closeServer(squatter) : undefined));
    const { f } = forwarder(new Map([[held, echo], [other, echo]]), 300);
    const changes: PortForward[][] = [];
    f.on('change', (l: PortForward[]) => changes.push(l));
    await f.reconcile([fwd(held), fwd(other)]);
    const conflict = state(f, held);
    expect(conflict?.state).toBe('conflict');
    if (process.platform === 'linux') {
      const comm = readFileSync('/proc/self/comm', 'utf8').trim();
      expect(conflict?.message).toContain(`held by ${comm} (pid ${process.pid})`);
    }
    expect(conflict?.message).toMatch(/stop that program, or publish the container on another host port/);
    expect(state(f, other)?.state).toBe('forwarding');
    expect((await roundTrip(other, 'ok')).toString()).toBe('ok');
    // Still held after a few retries: still a conflict, and the squatter still answers.
    await new Promise((r) => setTimeout(r, 700));
    expect(state(f, held)?.state).toBe('conflict');
    expect((await roundTrip(held, '')).toString()).toBe('squatter');
    await closeServer(squatter);
    squatting = false;
    const freed = Date.now();
    await until(() => state(f, held)?.state === 'forwarding', 1500);
    expect(Date.now() - freed).toBeLessThan(1000);
    expect(state(f, held)?.message).toBeUndefined();
    expect(changes.at(-1)?.find((x) => x.hostPort === held)?.state).toBe('forwarding');
    expect((await roundTrip(held, 'mine now')).toString()).toBe('mine now');
  });

  it('portTrouble sums up the forwards that cannot listen, for the degraded status', () => {
    const row = (hostPort: number, s: PortForward['state'], message?: string): PortForward => ({ ...fwd(hostPort), state: s, ...(message ? { message } : {}), bytesIn: 0, bytesOut: 0, connections: 0 });
    expect(portTrouble([row(1, 'forwarding'), row(2, 'not-forwarded', 'UDP')])).toBeUndefined();
    expect(portTrouble([row(18085, 'conflict', 'port 18085 on 127.0.0.1 is held by nginx (pid 7)'), row(3, 'forwarding')])).toBe('web: port 18085 on 127.0.0.1 is held by nginx (pid 7)');
    expect(portTrouble([1, 2, 3, 4, 5].map((p) => row(p, 'error', `e${p}`)))).toBe('web: e1; web: e2; web: e3; and 2 more (see berth ports)');
  });

  it('T-07: an address the host does not have is an error for that forward only', async () => {
    const [bad, good] = [await freePort(), await freePort()];
    const echo = await echoServer();
    const { f } = forwarder(new Map([[good, echo]]));
    await f.reconcile([fwd(bad, '192.0.2.1'), fwd(good)]);
    expect(state(f, bad)).toMatchObject({ state: 'error' });
    expect(state(f, bad)?.message).toMatch(/could not be opened on this computer .*: publish the container on another host port/);
    expect((await roundTrip(good, 'fine')).toString()).toBe('fine');
  });

  it('drops an IPv6 forward the host cannot listen on, logging it once', async () => {
    const port = await freePort();
    const { f, logs } = forwarder(new Map());
    await f.reconcile([fwd(port, '2001:db8::1')]);
    await f.reconcile([fwd(port, '2001:db8::1')]);
    expect(f.list()).toEqual([]);
    expect(logs.filter((l) => l.includes('no IPv6'))).toHaveLength(1);
  });

  it('lists not-forwarded entries without listening', async () => {
    const port = await freePort();
    const { f } = forwarder(new Map());
    await f.reconcile([{ ...fwd(port), protocol: 'udp', state: 'not-forwarded', message: 'UDP publishes are not forwarded' }, { ...fwd(port), protocol: 'udp', hostAddress: '0.0.0.0' } /* a UDP forward asked for is listed, not dropped */]);
    expect(f.list().map((x) => [x.protocol, x.hostAddress, x.state])).toEqual([
      ['udp', '0.0.0.0', 'not-forwarded'],
      ['udp', '127.0.0.1', 'not-forwarded'],
    ]);
    expect(await answers(port)).toBe(false);
  });

  it('ends the host connection when the guest RESETs the stream (the container port refused)', async () => {
    const port = await freePort();
    const { f, logs } = forwarder(new Map());
    await f.reconcile([fwd(port)]);
    const c = connect({ port, host: '127.0.0.1' });
    const t0 = Date.now();
    await new Promise((r) => c.once('close', r));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(logs.some((l) => l.includes('connection refused'))).toBe(true);
    expect(state(f, port)).toMatchObject({ state: 'forwarding', connections: 1 });
  });

  it('T-08: 200 reconciles (many overlapping) of 5 forwards leave exactly the last set, and no handles behind', async () => {
    const echo = await echoServer();
    const pool: number[] = [];
    for (let i = 0; i < 5; i++) pool.push(await freePort());
    const { f } = forwarder(new Map(pool.map((p) => [p, echo])));
    const baseline = await tcpServers();
    const rnd = seededPrng(0x5eed);
    let last: Promise<void> = Promise.resolve();
    let want: number[] = [];
    for (let i = 0; i < 200; i++) {
      want = pool.filter(() => rnd.next() < 0.5);
      last = f.reconcile(want.map((p) => fwd(p)));
      if (rnd.next() < 0.5) await last; // otherwise the next call overlaps this one
      if (i % 20 === 19) {
        await last;
        for (const p of pool) expect(await answers(p)).toBe(want.includes(p));
      }
    }
    await last;
    expect(f.list().map((x) => x.hostPort)).toEqual([...want].sort((a, b) => a - b));
    expect(f.list().every((x) => x.state === 'forwarding')).toBe(true);
    for (const p of pool) expect(await answers(p)).toBe(want.includes(p));
    expect(await tcpServers()).toBe(baseline + want.length);
    await f.close();
    expect(await tcpServers()).toBe(baseline);
    for (const p of pool) expect(await answers(p)).toBe(false);
    await f.reconcile(pool.map((p) => fwd(p)));
    expect(f.list()).toEqual([]);
  });

  it('close() ends listeners and open connections', async () => {
    const port = await freePort();
    const { f } = forwarder(new Map([[port, await echoServer()]]));
    await f.reconcile([fwd(port)]);
    const c: Socket = connect({ port, host: '127.0.0.1' });
    await new Promise((r) => c.once('connect', r));
    const closed = new Promise((r) => c.once('close', r));
    await f.close();
    await closed;
    expect(await answers(port)).toBe(false);
  });
});
