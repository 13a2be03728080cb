// Owns: the T-36 proofs for the dashboard bridge — IPC-equivalent abuse from a browser: no token, a
// wrong one, DNS rebinding, foreign origins, oversized or invalid bodies never reach berthd.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { MAX_REQUEST_BYTES } from '../../api/controlApi.ts';
import { checkHostAndOrigin, newToken, tokensMatch } from './bridgeAccess.ts';
import type { Dashboard } from './dashboardServer.ts';
import { rawRequest, startBridgeOnFakeBerthd, type BridgeOnFakeBerthd, type FakeBerthd } from './fakeBerthd.fixture.ts';

let bridge: BridgeOnFakeBerthd;
let berthd: FakeBerthd;
let dash: Dashboard;

beforeAll(async () => {
  bridge = await startBridgeOnFakeBerthd();
  ({ berthd, dash } = bridge);
});
afterAll(() => bridge.close());

const spec = encodeURIComponent(JSON.stringify({ kind: 'vm' }));

/** Opens the terminal WebSocket; resolves with the HTTP status of a refusal, or 101 when it opened. */
function openTerminal(protocols: string[], opts: { origin?: string; host?: string } = {}): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = opts.host ? { host: opts.host } : {};
    const ws = new WebSocket(`ws://127.0.0.1:${dash.port}/api/terminal?spec=${spec}`, protocols, { headers, ...(opts.origin ? { origin: opts.origin } : {}) });
    ws.on('open', () => {
      ws.close();
      resolve({ status: 101, body: '' });
    });
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    ws.on('error', (e) => (e.message.includes('Unexpected server response') ? undefined : reject(e)));
  });
}

const apiPaths: { method: string; path: string; body?: string }[] = [
  { method: 'POST', path: '/api/call/status', body: '{}' },
  { method: 'POST', path: '/api/call/stop', body: '{"timeoutSeconds":5}' },
  { method: 'GET', path: '/api/events' },
  { method: 'POST', path: '/api/stream/containerLogs', body: '{"id":"web"}' },
  { method: 'POST', path: '/api/call/no-such-route', body: '{}' },
];

describe('T-36: the dashboard bridge refuses IPC-equivalent abuse', () => {
  it('T-36: a token is 32 random bytes in hex and compared exactly', () => {
    const t = newToken();
    expect(t).toMatch(/^[0-9a-f]{64}$/);
    expect(newToken()).not.toBe(t);
    expect(tokensMatch(t, t)).toBe(true);
    expect(tokensMatch(t, t.slice(0, -1))).toBe(false);
    expect(tokensMatch(t, `${t}0`)).toBe(false);
    expect(tokensMatch(t, t.toUpperCase())).toBe(false);
    expect(tokensMatch(t, '')).toBe(false);
    expect(tokensMatch(t, undefined)).toBe(false);
  });

  it('T-36: every /api path (call, events, stream) refuses a missing or wrong token, and berthd sees nothing', async () => {
    const before = berthd.seen.length;
    for (const p of apiPaths) {
      for (const headers of [{}, { 'x-berth-token': '0'.repeat(64) }, { 'x-berth-token': dash.token.slice(1) }] as Record<string, string>[]) {
        const r = await rawRequest(dash.port, { method: p.method, path: p.path, headers, body: p.body });
        expect(r.status, `${p.method} ${p.path} ${JSON.stringify(headers)}`).toBe(403);
        expect(JSON.parse(r.body)).toMatchObject({ code: 'bad-token', hint: expect.stringContaining('berth dashboard') });
      }
    }
    expect(berthd.seen.length).toBe(before);
  });

  it('T-36: the terminal WebSocket refuses a missing or wrong token subprotocol, and berthd sees no upgrade', async () => {
    expect((await openTerminal(['berth-terminal.v1'])).status).toBe(403);
    expect((await openTerminal(['berth-terminal.v1', `berth-token.${'f'.repeat(64)}`])).status).toBe(403);
    // Two token subprotocols (one right) are refused too: exactly one is allowed.
    expect((await openTerminal(['berth-terminal.v1', `berth-token.${dash.token}`, 'berth-token.x'])).status).toBe(403);
    expect(berthd.upgrades).toHaveLength(0);
    expect((await openTerminal(['berth-terminal.v1', `berth-token.${dash.token}`])).status).toBe(101);
    expect(berthd.upgrades).toHaveLength(1);
  });

  it('T-36: DNS rebinding — Host evil.example:PORT is refused on pages, API and terminal even with the token', async () => {
    const before = berthd.seen.length;
    const host = `evil.example:${dash.port}`;
    const page = await rawRequest(dash.port, { path: '/', headers: { host } });
    expect(page.status).toBe(403);
    expect(page.body).not.toContain('dashboard</body>');
    const api = await rawRequest(dash.port, { method: 'POST', path: '/api/call/status', headers: { host, 'x-berth-token': dash.token } });
    expect(api.status).toBe(403);
    expect(JSON.parse(api.body)).toMatchObject({ code: 'bad-host' });
    const wrongPort = await rawRequest(dash.port, { method: 'POST', path: '/api/call/status', headers: { host: `127.0.0.1:${dash.port + 1}`, 'x-berth-token': dash.token } });
    expect(wrongPort.status).toBe(403);
    expect((await openTerminal(['berth-terminal.v1', `berth-token.${dash.token}`], { host })).status).toBe(403);
    expect(berthd.seen.length).toBe(before);
  });

  it('T-36: a foreign Origin is refused on the API and the terminal even with the token', async () => {
    const before = berthd.seen.length;
    const upgradesBefore = berthd.upgrades.length;
    for (const origin of ['http://evil.example', `http://evil.example:${dash.port}`, 'null', `https://127.0.0.1:${dash.port}`]) {
      const r = await rawRequest(dash.port, { method: 'POST', path: '/api/call/status', headers: { origin, 'x-berth-token': dash.token } });
      expect(r.status, origin).toBe(403);
      expect(JSON.parse(r.body)).toMatchObject({ code: 'bad-origin' });
    }
    expect((await openTerminal(['berth-terminal.v1', `berth-token.${dash.token}`], { origin: 'http://evil.example' })).status).toBe(403);
    expect(berthd.seen.length).toBe(before);
    expect(berthd.upgrades.length).toBe(upgradesBefore);
  });

  it('T-36: the bridge\'s own origin, as 127.0.0.1 or localhost, is let through', async () => {
    for (const name of ['127.0.0.1', 'localhost']) {
      const r = await rawRequest(dash.port, { method: 'POST', path: '/api/call/status', headers: { host: `${name}:${dash.port}`, origin: `http://${name}:${dash.port}`, 'x-berth-token': dash.token } });
      expect(r.status, name).toBe(200);
    }
    expect(checkHostAndOrigin({ host: `LOCALHOST:${dash.port}` }, dash.port).ok).toBe(true);
    expect(checkHostAndOrigin({}, dash.port).ok).toBe(false);
  });

  it('T-36: an invalid body is refused with 400 before it reaches berthd', async () => {
    const before = berthd.seen.length;
    const cases: { path: string; body: string; code: string }[] = [
      { path: '/api/call/stop', body: '{"timeoutSeconds":-1}', code: 'invalid-request' },
      { path: '/api/call/stop', body: '{"timeoutSeconds":5,"extra":true}', code: 'invalid-request' },
      { path: '/api/call/status', body: '{"anything":1}', code: 'invalid-request' },
      { path: '/api/call/containerAction', body: '{"id":"../../v1.41/containers/x","action":"remove"}', code: 'invalid-request' },
      { path: '/api/stream/imagePull', body: '{"ref":"-rf /"}', code: 'invalid-request' },
      { path: '/api/call/stop', body: 'not json', code: 'bad-json' },
    ];
    for (const c of cases) {
      const r = await rawRequest(dash.port, { method: 'POST', path: c.path, headers: { 'x-berth-token': dash.token }, body: c.body });
      expect(r.status, c.body).toBe(400);
      expect(JSON.parse(r.body)).toMatchObject({ code: c.code, message: expect.any(String), hint: expect.any(String) });
    }
    expect(berthd.seen.length).toBe(before);
  });

  it('T-36: a body over MAX_REQUEST_BYTES is refused with 413 and never forwarded', async () => {
    const before = berthd.seen.length;
    const big = JSON.stringify({ change: { note: 'x'.repeat(MAX_REQUEST_BYTES) } });
    const r = await rawRequest(dash.port, { method: 'POST', path: '/api/call/settingsSet', headers: { 'x-berth-token': dash.token }, body: big });
    expect(r.status).toBe(413);
    expect(JSON.parse(r.body)).toMatchObject({ code: 'too-large' });
    expect(berthd.seen.length).toBe(before);
  });

  it('T-36: a terminal spec that fails the schema is refused with 400 and berthd sees no upgrade', async () => {
    const before = berthd.upgrades.length;
    for (const bad of [{ kind: 'container', id: '$(reboot)' }, { kind: 'vm', cols: 0 }, { kind: 'ssh' }]) {
      const status = await new Promise<number>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${dash.port}/api/terminal?spec=${encodeURIComponent(JSON.stringify(bad))}`, ['berth-terminal.v1', `berth-token.${dash.token}`]);
        ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0));
        ws.on('open', () => reject(new Error('opened')));
        ws.on('error', () => {});
      });
      expect(status, JSON.stringify(bad)).toBe(400);
    }
    expect(berthd.upgrades.length).toBe(before);
  });
});
