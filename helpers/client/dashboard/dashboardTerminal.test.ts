// Owns: tests of the terminal WebSocket through the bridge against a `ws` server on a unix socket —
// bytes and text piped both ways unchanged, the token never forwarded, closes passed on, berthd down.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startDashboard, type Dashboard } from './dashboardServer.ts';
import { startBridgeOnFakeBerthd, type BridgeOnFakeBerthd, type FakeBerthd, type TempDist } from './fakeBerthd.fixture.ts';
import { upstreamHandshake } from './terminalPipe.ts';

let bridge: BridgeOnFakeBerthd;
let temp: TempDist;
let berthd: FakeBerthd;
let dash: Dashboard;

beforeAll(async () => {
  bridge = await startBridgeOnFakeBerthd();
  ({ temp, berthd, dash } = bridge);
});
afterAll(() => bridge.close());

function open(d: Dashboard, spec: unknown): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${d.port}/api/terminal?spec=${encodeURIComponent(JSON.stringify(spec))}`, ['berth-terminal.v1', `berth-token.${d.token}`], { origin: `http://127.0.0.1:${d.port}` });
    ws.on('open', () => resolve(ws));
    ws.on('error', reject);
  });
}

const next = (ws: WebSocket): Promise<{ data: Buffer; isBinary: boolean }> => new Promise((resolve) => ws.once('message', (data, isBinary) => resolve({ data: data as Buffer, isBinary })));

describe('dashboard bridge: terminal WebSocket', () => {
  it('dashboard bridge: binary and text frames are echoed through the pipe unchanged', async () => {
    const ws = await open(dash, { kind: 'container', id: 'web-1', argv: ['/bin/sh'], cols: 100, rows: 30 });
    expect(ws.protocol).toBe('berth-terminal.v1');
    const bytes = Buffer.from([0, 1, 2, 3, 0x1b, 0x5b, 0x41, 0xff, 0xfe, 0x0d, 0x0a, 0x03]);
    let got = next(ws);
    ws.send(bytes);
    expect(await got).toEqual({ data: bytes, isBinary: true });
    got = next(ws);
    ws.send(JSON.stringify({ type: 'resize', cols: 120, rows: 40 }));
    const text = await got;
    expect(text.isBinary).toBe(false);
    expect(text.data.toString('utf8')).toBe('{"type":"resize","cols":120,"rows":40}');
    // A frame larger than one TCP segment and the 64 KiB control-body cap is still passed whole.
    const big = Buffer.alloc(256 * 1024, 7);
    got = next(ws);
    ws.send(big);
    expect((await got).data.equals(big)).toBe(true);
    ws.close();
  });

  it('dashboard bridge: berthd gets /v1/terminal with the spec, only the berth-terminal.v1 subprotocol, and never the token', async () => {
    const ws = await open(dash, { kind: 'vm' });
    ws.close();
    const up = berthd.upgrades.at(-1);
    expect(up?.url).toBe(`/v1/terminal?spec=${encodeURIComponent('{"kind":"vm"}')}`);
    const headers = up?.rawHeaders ?? [];
    const protocol = headers[headers.findIndex((h) => h.toLowerCase() === 'sec-websocket-protocol') + 1];
    expect(protocol).toBe('berth-terminal.v1');
    expect(headers.join('\n')).not.toContain(dash.token);
    expect(headers.join('\n')).not.toContain('berth-token');
    expect(headers.map((h) => h.toLowerCase())).not.toContain('origin');
    expect(upstreamHandshake('dGhlIHNhbXBsZSBub25jZQ==', '{"kind":"host"}')).not.toContain('token');
  });

  it('dashboard bridge: closing the browser side closes the session at berthd', async () => {
    const before = berthd.closedTerminals();
    const ws = await open(dash, { kind: 'host' });
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    ws.terminate();
    await closed;
    await expect.poll(() => berthd.closedTerminals()).toBe(before + 1);
  });

  it('dashboard bridge: when berthd closes the session, the browser side closes too', async () => {
    const ws = await open(dash, { kind: 'vm' });
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    const upgrades = berthd.upgrades.length;
    expect(upgrades).toBeGreaterThan(0);
    await berthd.close();
    expect(await closed).toBeGreaterThan(0);
  });

  it('dashboard bridge: with berthd down the terminal is refused with 503 berthd-down', async () => {
    const orphan = await startDashboard({ distDir: temp.dist, controlSocket: join(temp.dir, 'nobody.sock') });
    try {
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const ws = new WebSocket(`ws://127.0.0.1:${orphan.port}/api/terminal?spec=${encodeURIComponent('{"kind":"vm"}')}`, ['berth-terminal.v1', `berth-token.${orphan.token}`]);
        ws.on('unexpected-response', (_req, res) => {
          let body = '';
          res.on('data', (d: Buffer) => (body += String(d)));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        ws.on('open', () => reject(new Error('opened')));
        ws.on('error', () => {});
      });
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'berthd-down', hint: 'run `berth start`' });
    } finally {
      await orphan.close();
    }
  });
});
