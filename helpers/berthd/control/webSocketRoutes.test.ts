// Owns: tests of the control socket's WebSocket upgrades (ControlServer.serveWebSocket): 101 with the
// subprotocol, 400 without it, 404 for other paths, POST upgrades unchanged, close() dropping sockets.
import { mkdtempSync, rmSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Duplex } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { ControlServer, type ControlHandlers } from './controlServer.ts';

let dir: string;
let n = 0;
const servers: ControlServer[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-ws-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Routes are not used here: only the upgrade paths. */
const noRoutes = {} as ControlHandlers;

async function serve(): Promise<{ sock: string; server: ControlServer; seen: URLSearchParams[] }> {
  const sock = join(dir, `w${n++}.sock`);
  const seen: URLSearchParams[] = [];
  const server = new ControlServer(sock, noRoutes, () => [], {
    '/v1/raw': (_q: URLSearchParams, socket: Duplex) => {
      socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: raw\r\n\r\n');
      socket.pipe(socket);
    },
  });
  server.serveWebSocket('/v1/echo', 'echo.v1', (ws, query) => {
    seen.push(query);
    ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
  });
  await server.listen();
  servers.push(server);
  return { sock, server, seen };
}

function refusal(ws: WebSocket): Promise<{ status: number; body: unknown }> {
  return new Promise((resolve) => {
    ws.on('unexpected-response', (_req, res: IncomingMessage) => {
      let text = '';
      res.on('data', (d: Buffer) => (text += d.toString('utf8')));
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) });
        ws.terminate();
      });
    });
    ws.on('error', () => undefined);
  });
}

describe('ControlServer WebSockets', () => {
  it('upgrades GET with the path\'s subprotocol, passes the query, and carries frames both ways', async () => {
    const { sock, seen } = await serve();
    const ws = new WebSocket(`ws+unix://${sock}:/v1/echo?spec=${encodeURIComponent('{"kind":"vm"}')}`, ['other', 'echo.v1']);
    await new Promise<void>((r) => ws.once('open', () => r()));
    expect(ws.protocol).toBe('echo.v1');
    expect(seen[0]?.get('spec')).toBe('{"kind":"vm"}');
    const echoed = new Promise<Buffer>((r) => ws.once('message', (d: Buffer) => r(d)));
    ws.send(Buffer.from([0, 1, 2, 255]));
    expect([...(await echoed)]).toEqual([0, 1, 2, 255]);
    ws.close();
  });

  it('refuses a client that does not offer the subprotocol with 400 bad-protocol', async () => {
    const { sock, seen } = await serve();
    const r = await refusal(new WebSocket(`ws+unix://${sock}:/v1/echo`, ['chat']));
    expect(r).toEqual({ status: 400, body: { code: 'bad-protocol', message: expect.stringContaining('echo.v1'), hint: expect.stringContaining('echo.v1') } });
    expect(seen).toHaveLength(0);
  });

  it('answers a WebSocket for an unknown path with 404 not-found', async () => {
    const { sock } = await serve();
    const r = await refusal(new WebSocket(`ws+unix://${sock}:/v1/nothing`, ['echo.v1']));
    expect(r.status).toBe(404);
    expect(r.body).toMatchObject({ code: 'not-found' });
  });

  it('keeps POST upgrades (as /v1/exec) working beside the WebSockets', async () => {
    const { sock } = await serve();
    const socket = await new Promise<Socket>((resolve, reject) => {
      const req = request({ socketPath: sock, path: '/v1/raw', method: 'POST', headers: { connection: 'Upgrade', upgrade: 'raw', 'content-length': 0 } });
      req.on('upgrade', (_res, s: Socket) => resolve(s));
      req.on('error', reject);
      req.end();
    });
    const back = new Promise<string>((r) => socket.once('data', (d: Buffer) => r(d.toString('utf8'))));
    socket.write('ping');
    expect(await back).toBe('ping');
    socket.destroy();
  });

  it('close() drops the open WebSockets', async () => {
    const { sock, server } = await serve();
    const ws = new WebSocket(`ws+unix://${sock}:/v1/echo`, ['echo.v1']);
    await new Promise<void>((r) => ws.once('open', () => r()));
    const closed = new Promise<void>((r) => ws.once('close', () => r()));
    await server.close();
    servers.splice(servers.indexOf(server), 1);
    await closed;
    expect(ws.readyState).toBe(WebSocket.CLOSED);
  });
});
