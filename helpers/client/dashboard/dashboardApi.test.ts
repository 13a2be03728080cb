// Owns: tests of the bridge's HTTP API against a fake berthd on a unix socket — calls passed through,
// unknown names, the event stream and streamed calls flushed as they come, and berthd being down.
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DashboardPortInUse, startDashboard, type Dashboard } from './dashboardServer.ts';
import { rawRequest, startBridgeOnFakeBerthd, type BridgeOnFakeBerthd, type FakeBerthd, type TempDist } from './fakeBerthd.fixture.ts';

let bridge: BridgeOnFakeBerthd;
let temp: TempDist;
let berthd: FakeBerthd;
let dash: Dashboard;
let orphan: Dashboard;

beforeAll(async () => {
  bridge = await startBridgeOnFakeBerthd();
  ({ temp, berthd, dash } = bridge);
  orphan = await startDashboard({ distDir: temp.dist, controlSocket: join(temp.dir, 'nobody-listens.sock') });
});
afterAll(async () => {
  await orphan.close();
  await bridge.close();
});

const post = (d: Dashboard, path: string, body = '{}') => rawRequest(d.port, { method: 'POST', path, headers: { 'x-berth-token': d.token, 'content-type': 'application/json' }, body });

/** Opens an event stream as the renderer does (a GET or POST with the token) and collects what arrives. */
function openStream(d: Dashboard, method: string, path: string, body?: string) {
  let text = '';
  let status = 0;
  let contentType = '';
  const waiters: { needle: string; resolve: () => void }[] = [];
  let markEnded: () => void = () => {};
  const ended = new Promise<void>((r) => (markEnded = r));
  const req = request({ host: '127.0.0.1', port: d.port, method, path, headers: { host: `127.0.0.1:${d.port}`, 'x-berth-token': d.token }, agent: false });
  const opened = new Promise<void>((resolve, reject) => {
    req.on('response', (res) => {
      status = res.statusCode ?? 0;
      contentType = res.headers['content-type'] ?? '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        text += c;
        for (const w of waiters.filter((x) => text.includes(x.needle))) {
          waiters.splice(waiters.indexOf(w), 1);
          w.resolve();
        }
      });
      res.on('end', markEnded);
      resolve();
    });
    req.on('error', reject);
  });
  req.end(body);
  return {
    opened,
    ended,
    status: () => status,
    contentType: () => contentType,
    text: () => text,
    waitFor: (needle: string) => (text.includes(needle) ? Promise.resolve() : new Promise<void>((resolve) => waiters.push({ needle, resolve }))),
    abort: () => req.destroy(),
  };
}

describe('dashboard bridge: calls', () => {
  it('dashboard bridge: a GET route is called with POST and berthd gets a GET without a body', async () => {
    const r = await post(dash, '/api/call/status');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body)).toEqual({ state: 'stopped', fake: true });
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    const seen = berthd.seen.at(-1);
    expect(seen).toMatchObject({ method: 'GET', url: '/v1/status', body: '' });
    expect(JSON.stringify(seen?.headers)).not.toContain(dash.token);
  });

  it('dashboard bridge: a POST route gets the checked body, and the answer comes back as berthd gave it', async () => {
    const r = await post(dash, '/api/call/stop', '{"timeoutSeconds":7}');
    expect(r.status).toBe(200);
    expect(JSON.parse(r.body).message).toBe('stopped with {"timeoutSeconds":7}');
    expect(berthd.seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/stop' });
  });

  it("dashboard bridge: berthd's error answer passes through with its status and {code,message,hint}", async () => {
    const r = await post(dash, '/api/call/settingsSet', '{"change":{"memory":"1TiB"}}');
    expect(r.status).toBe(400);
    expect(JSON.parse(r.body)).toEqual({ code: 'invalid-settings', message: 'memory is too large', hint: 'choose less' });
  });

  it('dashboard bridge: unknown calls and streams are 404, and a call takes POST only', async () => {
    const before = berthd.seen.length;
    for (const path of ['/api/call/nope', '/api/call/__proto__', '/api/call/constructor', '/api/call/toString', '/api/stream/nope', '/api/stream/status', '/api/call/status/extra', '/api/other']) {
      const r = await post(dash, path);
      expect(r.status, path).toBe(404);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'not-found', hint: expect.any(String) });
    }
    const get = await rawRequest(dash.port, { path: '/api/call/status', headers: { 'x-berth-token': dash.token } });
    expect(get.status).toBe(405);
    expect(berthd.seen.length).toBe(before);
  });
});

describe('dashboard bridge: event streams', () => {
  it('dashboard bridge: /api/events passes an event through while the stream stays open, and closing the browser side closes upstream', async () => {
    const s = openStream(dash, 'GET', '/api/events');
    await s.opened;
    expect(s.status()).toBe(200);
    expect(s.contentType()).toMatch(/^text\/event-stream/);
    await s.waitFor(': berthd events');
    expect(berthd.subscribers.size).toBe(1);
    const event = `event: state\ndata: ${JSON.stringify({ type: 'state', vm: { state: 'stopped' } })}\n\n`;
    berthd.publish(event);
    await s.waitFor(event);
    berthd.publish('event: log\ndata: {"type":"log","source":"berthd","line":"second"}\n\n');
    await s.waitFor('"second"');
    const upstreamClosed = berthd.nextSubscriberClose();
    s.abort();
    await upstreamClosed;
    expect(berthd.subscribers.size).toBe(0);
  });

  it('dashboard bridge: a streamed call delivers its items and its end', async () => {
    const s = openStream(dash, 'POST', '/api/stream/containerLogs', '{"id":"web-1","tail":10}');
    await s.opened;
    await s.ended;
    expect(s.status()).toBe(200);
    expect(s.text()).toContain('event: item\ndata: {"stream":"stdout","line":"hello"}\n\n');
    expect(s.text()).toContain('event: end\ndata: {}\n\n');
    expect(berthd.seen.at(-1)).toMatchObject({ method: 'POST', url: '/v1/containers/logs', body: '{"id":"web-1","tail":10}' });
  });

  it('dashboard bridge: the event stream ends when berthd goes away, so the page notices and reconnects', async () => {
    const s = openStream(dash, 'GET', '/api/events');
    await s.opened;
    await s.waitFor(': berthd events');
    for (const sub of berthd.subscribers) sub.destroy();
    await s.ended;
  });
});

describe('dashboard bridge: berthd not running', () => {
  it('dashboard bridge: a call answers 503 berthd-down with the hint to run `berth start`', async () => {
    const r = await post(orphan, '/api/call/status');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'berthd-down', message: expect.stringContaining('not running'), hint: 'run `berth start`' });
  });

  it('dashboard bridge: the event stream answers 503 berthd-down and ends', async () => {
    const s = openStream(orphan, 'GET', '/api/events');
    await s.opened;
    await s.ended;
    expect(s.status()).toBe(503);
    expect(JSON.parse(s.text())).toMatchObject({ code: 'berthd-down', hint: 'run `berth start`' });
  });

  it('dashboard bridge: a streamed call answers 503 berthd-down', async () => {
    const r = await post(orphan, '/api/stream/imagePull', '{"ref":"busybox:latest"}');
    expect(r.status).toBe(503);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'berthd-down' });
  });
});

describe('dashboard bridge: listening', () => {
  it('dashboard bridge: listens on 127.0.0.1 only, and a port in use is an error that says what to do', async () => {
    expect(dash.url).toBe(`http://127.0.0.1:${dash.port}/#token=${dash.token}`);
    // Bound to 127.0.0.1 itself, not all interfaces: another loopback address is refused.
    const other = await new Promise<string>((resolve) => {
      const s = connect({ host: '127.0.0.2', port: dash.port });
      s.on('connect', () => resolve((s.destroy(), 'connected')));
      s.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
    });
    expect(other).toBe('ECONNREFUSED');
    const taken = startDashboard({ distDir: temp.dist, controlSocket: berthd.socketPath, port: dash.port });
    await expect(taken).rejects.toBeInstanceOf(DashboardPortInUse);
    await expect(taken).rejects.toThrow(/in use; choose another with --port/);
  });
});
