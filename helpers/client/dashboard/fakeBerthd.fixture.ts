// Owns: the test doubles of the dashboard suites — a fake berthd (a real HTTP server on a unix socket
// in a temp dir, with a `ws` WebSocketServer as /v1/terminal), a temp renderer dist, the bridge on both, raw HTTP calls.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { startDashboard, type Dashboard } from './dashboardServer.ts';

export type Seen = { method: string; url: string; headers: IncomingHttpHeaders; body: string };

export type FakeBerthd = {
  socketPath: string;
  /** Every plain HTTP request berthd got. */
  seen: Seen[];
  /** Every upgrade request berthd got: the URL and the raw header lines as they arrived. */
  upgrades: { url: string; rawHeaders: string[] }[];
  /** Event-stream subscribers open now. */
  subscribers: Set<ServerResponse>;
  /** Resolves when the next event-stream subscriber goes away. */
  nextSubscriberClose: () => Promise<void>;
  /** Terminal WebSockets that closed. */
  closedTerminals: () => number;
  publish: (frame: string) => void;
  close: () => Promise<void>;
};

/** berthd's stand-in: /v1/status, /v1/stop (echoes the body), /v1/settings (an API error), /v1/events, /v1/containers/logs, /v1/terminal (echo). */
export async function startFakeBerthd(dir: string): Promise<FakeBerthd> {
  const socketPath = join(dir, 'berth.sock');
  const seen: Seen[] = [];
  const upgrades: FakeBerthd['upgrades'] = [];
  const subscribers = new Set<ServerResponse>();
  let onSubscriberClose: (() => void)[] = [];
  let terminalsClosed = 0;
  const json = (res: ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (d: string) => (body += d));
    req.on('end', () => {
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      const route = `${req.method} ${req.url}`;
      if (route === 'GET /v1/status') return json(res, 200, { state: 'stopped', fake: true });
      if (route === 'POST /v1/stop') return json(res, 200, { graceful: true, seconds: 1, message: `stopped with ${body}` });
      if (route === 'POST /v1/settings') return json(res, 400, { code: 'invalid-settings', message: 'memory is too large', hint: 'choose less' });
      if (route === 'GET /v1/events') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
        res.write(': berthd events\n\n');
        subscribers.add(res);
        res.on('close', () => {
          subscribers.delete(res);
          const waiting = onSubscriberClose;
          onSubscriberClose = [];
          for (const w of waiting) w();
        });
        return;
      }
      if (route === 'POST /v1/containers/logs') {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`event: item\ndata: ${JSON.stringify({ stream: 'stdout', line: 'hello' })}\n\n`);
        res.end('event: end\ndata: {}\n\n');
        return;
      }
      json(res, 404, { code: 'not-found', message: `fake berthd has no ${route}`, hint: '' });
    });
  });
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (protocols) => (protocols.has('berth-terminal.v1') ? 'berth-terminal.v1' : false) });
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    upgrades.push({ url: req.url ?? '', rawHeaders: req.rawHeaders });
    wss.handleUpgrade(req, socket, head, (ws) => {
      ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary }));
      ws.on('close', () => terminalsClosed++);
    });
  });
  await new Promise<void>((resolve) => server.listen(socketPath, resolve));
  return {
    socketPath,
    seen,
    upgrades,
    subscribers,
    nextSubscriberClose: () => new Promise<void>((resolve) => onSubscriberClose.push(resolve)),
    closedTerminals: () => terminalsClosed,
    publish: (frame) => {
      for (const s of subscribers) s.write(frame);
    },
    close: async () => {
      for (const s of subscribers) s.destroy();
      for (const c of wss.clients) c.terminate();
      wss.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** A temp dir holding `dist/` (index.html, assets) and, beside it, files a traversal would reach. */
export function makeTempDist(): { dir: string; dist: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-dash-'));
  const dist = join(dir, 'dist');
  mkdirSync(join(dist, 'assets'), { recursive: true });
  writeFileSync(join(dist, 'index.html'), '<!doctype html><html><head><script type="module" src="/assets/app.js"></script></head><body>dashboard</body></html>');
  writeFileSync(join(dist, 'assets', 'app.js'), 'console.log("app");');
  writeFileSync(join(dist, 'assets', 'app.css'), 'body{}');
  writeFileSync(join(dir, 'package.json'), '{"secret":"outside dist"}');
  writeFileSync(join(dir, 'secret.txt'), 'outside dist');
  symlinkSync(join(dir, 'secret.txt'), join(dist, 'assets', 'link.txt'));
  return { dir, dist, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export type TempDist = ReturnType<typeof makeTempDist>;

/** The bridge in front of a fake berthd, with its temp dist; close() ends all three. */
export type BridgeOnFakeBerthd = { temp: TempDist; berthd: FakeBerthd; dash: Dashboard; close: () => Promise<void> };

export async function startBridgeOnFakeBerthd(): Promise<BridgeOnFakeBerthd> {
  const temp = makeTempDist();
  const berthd = await startFakeBerthd(temp.dir);
  const dash = await startDashboard({ distDir: temp.dist, controlSocket: berthd.socketPath });
  return {
    temp,
    berthd,
    dash,
    close: async () => {
      await dash.close();
      await berthd.close();
      temp.cleanup();
    },
  };
}

export type RawAnswer = { status: number; headers: IncomingHttpHeaders; body: string };

/** An HTTP request sent exactly as given (path not normalized, Host and Origin as given). */
export function rawRequest(port: number, opts: { method?: string; path: string; headers?: Record<string, string>; body?: string | Buffer }): Promise<RawAnswer> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, method: opts.method ?? 'GET', path: opts.path, headers: { host: `127.0.0.1:${port}`, ...opts.headers }, agent: false }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}
