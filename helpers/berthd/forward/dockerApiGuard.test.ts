// Owns: tests of dockerApiGuard.ts with a fake dockerd stream: creates forwarded or refused on a kept-alive
// connection, refusals in turn after pipelined answers, raw switches, half-close (T-10), errors, real sockets.
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { Share } from './bindMountCheck.ts';
import { guardDockerConnection, refusalResponse } from './dockerApiGuard.ts';
import { FakeDuplex, until } from './fakeDuplex.ts';

const post = (path: string, body: string, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: api.moby.localhost\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: api.moby.localhost\r\n\r\n`;
const create = (binds: string[], extra = ''): string => post('/v1.47/containers/create?name=web', JSON.stringify({ Image: 'nginx', HostConfig: { Binds: binds } }), extra);
const answer = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const created = `HTTP/1.1 201 Created\r\nContent-Type: application/json\r\nContent-Length: 20\r\n\r\n{"Id":"abc","W":[]}\n`;

const OUTSIDE = 'Berth: the bind mount source /opt/data is not inside a folder Berth shares with the VM (setting "shares": /home/ann).';

function setup(shares: Share[] = [{ hostPath: '/home/ann', writable: true }], slow = false) {
  const client = new FakeDuplex();
  const dockerd = new FakeDuplex(slow);
  const log: string[] = [];
  let current = shares;
  guardDockerConnection(client, dockerd, { shares: () => current, log: (m) => log.push(m) });
  const send = (s: string | Buffer) => client.push(typeof s === 'string' ? Buffer.from(s, 'latin1') : s);
  return { client, dockerd, log, send, setShares: (s: Share[]) => (current = s) };
}

/** The 400 the guard answers with, parsed the way the docker CLI reads it. */
function parse400(text: string): { status: string; headers: string[]; message: string; rest: string } {
  const end = text.indexOf('\r\n\r\n');
  const [status, ...headers] = text.slice(0, end).split('\r\n');
  const length = Number(/^Content-Length: (\d+)$/m.exec(text.slice(0, end))![1]);
  const body = Buffer.from(text.slice(end + 4), 'latin1');
  return { status: status!, headers, message: (JSON.parse(body.subarray(0, length).toString('utf8')) as { message: string }).message, rest: body.subarray(length).toString('latin1') };
}

describe('guardDockerConnection', () => {
  it('forwards an allowed create byte for byte, and the answer back untouched', async () => {
    const { client, dockerd, send } = setup();
    const req = create(['/home/ann/site:/usr/share/nginx/html:ro', 'cache:/cache']);
    send(req);
    await until(() => dockerd.text() === req, 'the create at dockerd');
    dockerd.push(created);
    await until(() => client.text() === created, 'the answer at the client');
  });

  it('refuses a create outside the shares with a 400, and the next request on the connection still works', async () => {
    const { client, dockerd, send, log } = setup();
    send(get('/_ping'));
    await until(() => dockerd.text() === get('/_ping'), 'the ping');
    dockerd.push(answer('OK'));
    await until(() => client.text() === answer('OK'), 'the pong');
    send(create(['/opt/data:/data']));
    await until(() => client.text().length > answer('OK').length, 'the refusal');
    const r = parse400(client.text().slice(answer('OK').length));
    expect(r.status).toBe('HTTP/1.1 400 Bad Request');
    expect(r.headers).toContain('Content-Type: application/json');
    expect(r.message.startsWith(OUTSIDE)).toBe(true);
    expect(r.message).toContain(`berth settings set shares='[{"hostPath":"/home/ann","writable":true},{"hostPath":"/opt/data","writable":true}]' --apply`);
    expect(r.rest).toBe('');
    expect(log).toEqual([`docker: refused a container create: ${r.message}`]);
    // The next request goes through; dockerd never saw the refused one.
    send(create(['/home/ann/x:/x']));
    await until(() => dockerd.text() === get('/_ping') + create(['/home/ann/x:/x']), 'the allowed create');
    dockerd.push(created);
    await until(() => client.text().endsWith(created), 'its answer');
    expect(client.text()).toBe(answer('OK') + refusalResponse(r.message).toString('latin1') + created);
  });

  it('a refused create followed at once by a valid request: dockerd sees only the valid one', async () => {
    const { client, dockerd, send } = setup();
    send(create(['/opt/data:/data']) + get('/v1.47/containers/json'));
    await until(() => dockerd.text() === get('/v1.47/containers/json'), 'the valid request');
    dockerd.push(answer('[]'));
    await until(() => client.text().endsWith(answer('[]')), 'its answer');
    const r = parse400(client.text());
    expect(r.message.startsWith(OUTSIDE)).toBe(true);
    expect(r.rest).toBe(answer('[]'));
  });

  it('a pipelined refusal waits for the answers before it, and holds the requests after it', async () => {
    const { client, dockerd, send } = setup();
    send(get('/_ping') + create(['/opt/data:/data']) + get('/version'));
    await until(() => dockerd.text() === get('/_ping'), 'the ping');
    await new Promise((r) => setTimeout(r, 20));
    expect(dockerd.text()).toBe(get('/_ping'));
    expect(client.text()).toBe('');
    const pong = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nOK\r\n0\r\n\r\n';
    dockerd.push(pong.slice(0, 30));
    await new Promise((r) => setTimeout(r, 20));
    expect(client.text()).toBe(pong.slice(0, 30));
    dockerd.push(pong.slice(30));
    await until(() => dockerd.text() === get('/_ping') + get('/version'), 'the version request, after the refusal');
    expect(client.text().startsWith(pong + 'HTTP/1.1 400 Bad Request\r\n')).toBe(true);
    dockerd.push(answer('{"Version":"27"}'));
    await until(() => client.text().endsWith(answer('{"Version":"27"}')), 'the version');
    expect(parse400(client.text().slice(pong.length)).rest).toBe(answer('{"Version":"27"}'));
  });

  it('uses the shares as they are at each create', async () => {
    const { client, dockerd, send, setShares } = setup();
    send(create(['/opt/data:/data']));
    await until(() => client.text().includes('400 Bad Request'), 'a refusal');
    setShares([{ hostPath: '/home/ann', writable: true }, { hostPath: '/opt/data', writable: true }]);
    send(create(['/opt/data:/data']));
    await until(() => dockerd.text() === create(['/opt/data:/data']), 'the create, now allowed');
  });

  it('refuses a writable bind into a read-only share with its own message', async () => {
    const { client, send } = setup([{ hostPath: '/srv/ro', writable: false }]);
    send(create(['/srv/ro/x:/x']));
    await until(() => client.text().includes('400 Bad Request'), 'a refusal');
    expect(parse400(client.text()).message).toMatch(/^Berth: the bind mount source \/srv\/ro\/x is writable, but it is inside \/srv\/ro, which Berth shares with the VM read-only/);
  });

  it('a refused create with Connection: close is answered, then the connection closes', async () => {
    const { client, dockerd, send } = setup();
    send(create(['/opt/data:/data'], 'Connection: close\r\n'));
    await client.ended();
    await dockerd.ended();
    expect(parse400(client.text()).headers).toContain('Connection: close');
    expect(dockerd.text()).toBe('');
  });

  it('passes creates it cannot judge: a body that is not JSON, and shares that cannot be read', async () => {
    const { dockerd, send } = setup();
    const bad = post('/containers/create', '{"HostConfig": {"Binds": ["/opt:/o"]');
    send(bad);
    await until(() => dockerd.text() === bad, 'the unparsable create');
    const client = new FakeDuplex();
    const d2 = new FakeDuplex();
    const log: string[] = [];
    guardDockerConnection(client, d2, { shares: () => { throw new Error('settings are unreadable'); }, log: (m) => log.push(m) });
    client.push(create(['/opt/data:/data']));
    await until(() => d2.text() === create(['/opt/data:/data']), 'the create');
    expect(log).toEqual(["docker: could not check a container's bind mounts, passing it on: settings are unreadable"]);
  });

  it('a chunked request turns the connection raw: every later byte passes untouched', async () => {
    const { client, dockerd, send } = setup();
    const chunked = 'POST /v1.47/containers/create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{"Image":"nginx"\r\n1\r\n}\r\n0\r\n\r\n';
    const after = Buffer.concat([Buffer.from(create(['/opt/data:/data'])), Buffer.from([0, 1, 0xfe, 0xff, 13, 10, 13, 10])]);
    const input = Buffer.concat([Buffer.from(chunked), after]);
    for (let i = 0; i < input.length; i += 3) send(input.subarray(i, i + 3));
    await until(() => dockerd.bytes().equals(input), 'every byte at dockerd');
    expect(client.text()).toBe('');
  });

  it('an Upgrade request turns the connection raw, both ways, binary included', async () => {
    const { client, dockerd, send } = setup();
    const attach = 'POST /v1.47/containers/abc/attach?stream=1&stdin=1&stdout=1 HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n';
    send(get('/_ping'));
    dockerd.push(answer('OK'));
    send(attach);
    await until(() => dockerd.text() === get('/_ping') + attach, 'the attach');
    const upgraded = 'HTTP/1.1 101 UPGRADED\r\nContent-Type: application/vnd.docker.raw-stream\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n';
    dockerd.push(upgraded);
    const stdin = Buffer.concat([Buffer.from(create(['/opt/data:/data'])), Buffer.from([0, 0xff, 0x80, 10])]);
    send(stdin);
    const stdout = Buffer.from([1, 0, 0, 0, 0, 0, 0, 2, 0xff, 0]);
    dockerd.push(stdout);
    await until(() => dockerd.bytes().equals(Buffer.concat([Buffer.from(get('/_ping') + attach), stdin])), 'stdin at dockerd');
    await until(() => client.bytes().equals(Buffer.concat([Buffer.from(answer('OK') + upgraded), stdout])), 'stdout at the client');
  });

  it('a 101 dockerd sends without an Upgrade request also turns the client side raw', async () => {
    const { dockerd, send } = setup();
    send(get('/odd'));
    await until(() => dockerd.text() === get('/odd'), 'the request');
    dockerd.push('HTTP/1.1 101 Switching Protocols\r\n\r\n');
    const partial = 'POST /containers/create HTTP/1.1\r\n';
    await new Promise((r) => setTimeout(r, 10));
    send(partial);
    // Raw: not held back as the start of a create.
    await until(() => dockerd.text() === get('/odd') + partial, 'the bytes at once');
  });

  it('when dockerd answers become unreadable, a waiting refusal is passed on instead', async () => {
    const { client, dockerd, send, log } = setup();
    send(get('/_ping') + create(['/opt/data:/data']));
    await until(() => dockerd.text() === get('/_ping'), 'the ping');
    dockerd.push('HTTP/9 what\r\n\r\n');
    await until(() => dockerd.text() === get('/_ping') + create(['/opt/data:/data']), 'the create, passed on');
    expect(client.text()).toBe('HTTP/9 what\r\n\r\n');
    expect(log).toEqual(['docker: passing on a container create it would refuse, because a response head that is not plain']);
  });

  it('T-10: the client half-closes: held bytes go on, then the end; dockerd can still answer', async () => {
    const { client, dockerd, send } = setup();
    const partial = create(['/opt/data:/data']).slice(0, -5);
    send(get('/_ping') + partial);
    client.push(null);
    await dockerd.ended();
    expect(dockerd.text()).toBe(get('/_ping') + partial);
    expect(dockerd.destroyed).toBe(false);
    dockerd.push('late answer');
    dockerd.push(null);
    await client.ended();
    expect(client.text()).toBe('late answer');
  });

  it('T-10: a refusal waiting its turn still comes before the end reaches dockerd', async () => {
    const { client, dockerd, send } = setup();
    send(get('/_ping') + create(['/opt/data:/data']) + get('/info'));
    client.push(null);
    await until(() => dockerd.text() === get('/_ping'), 'the ping');
    expect(dockerd.writeEnded).toBe(false);
    dockerd.push(answer('OK'));
    await dockerd.ended();
    expect(dockerd.text()).toBe(get('/_ping') + get('/info'));
    expect(client.text().startsWith(answer('OK') + 'HTTP/1.1 400')).toBe(true);
  });

  it('T-10: dockerd ending first ends the client, which can still send', async () => {
    const { client, dockerd, send } = setup();
    dockerd.push('bye');
    dockerd.push(null);
    await client.ended();
    expect(client.text()).toBe('bye');
    send(get('/_ping'));
    client.push(null);
    await dockerd.ended();
    expect(dockerd.text()).toBe(get('/_ping'));
  });

  it('an error on dockerd ends the client, and logs it; an error on the client ends dockerd', async () => {
    const a = setup();
    a.dockerd.destroy(new Error('guest reset the stream'));
    await until(() => a.client.destroyed, 'the client destroyed');
    expect(a.log).toEqual(['docker stream ended with an error: guest reset the stream']);
    const b = setup();
    b.client.destroy(new Error('client went away'));
    await until(() => b.dockerd.destroyed, 'dockerd destroyed');
  });

  it('keeps to dockerd backpressure: 8 MiB of bodies arrive whole through a slow stream', async () => {
    const { dockerd, send } = setup(undefined, true);
    const body = Buffer.alloc(1 << 20, 0xab);
    const one = Buffer.concat([Buffer.from(`POST /v1.47/images/x/push HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n`), body]);
    for (let i = 0; i < 8; i++) send(one);
    await until(() => dockerd.bytes().length === one.length * 8, 'every byte', 10_000);
    expect(dockerd.bytes().equals(Buffer.concat(Array<Buffer>(8).fill(one)))).toBe(true);
  });
});

describe('guardDockerConnection over unix sockets', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-guard-'));
  const servers: Server[] = [];
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function serve(): Promise<{ path: string; streams: FakeDuplex[] }> {
    const path = join(dir, `g${servers.length}-${Date.now()}.sock`);
    const streams: FakeDuplex[] = [];
    const server = createServer({ allowHalfOpen: true }, (c) => {
      const s = new FakeDuplex();
      streams.push(s);
      guardDockerConnection(c, s, { shares: () => [{ hostPath: '/home/ann', writable: true }], log: () => {} });
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    return { path, streams };
  }

  function readAll(c: Socket): Promise<string> {
    return new Promise((resolve) => {
      const parts: Buffer[] = [];
      c.on('data', (d: Buffer) => parts.push(d));
      c.once('end', () => resolve(Buffer.concat(parts).toString('latin1')));
    });
  }

  it('refuses, forwards the rest, and carries the half-close both ways', async () => {
    const { path, streams } = await serve();
    const c = connect({ path, allowHalfOpen: true });
    sockets.push(c);
    const got = readAll(c);
    c.end(create(['/opt/data:/data']) + get('/_ping'));
    await until(() => streams[0]?.writeEnded === true, 'the end at dockerd');
    expect(streams[0]!.text()).toBe(get('/_ping'));
    streams[0]!.push(answer('OK'));
    streams[0]!.push(null);
    const text = await got;
    expect(parse400(text).rest).toBe(answer('OK'));
  });
});
