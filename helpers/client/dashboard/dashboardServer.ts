// Owns: the `berth dashboard` bridge server on 127.0.0.1 — routes each request (static renderer files,
// /api calls and streams, the terminal WebSocket) after the Host/Origin/token checks, and closes cleanly.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { handleCall, handleEvents, handleStream, sendJson, type ProxyContext } from './apiProxy.ts';
import { checkApiRequest, checkHostAndOrigin, checkTerminalUpgrade, newToken } from './bridgeAccess.ts';
import { securityHeaders } from './securityHeaders.ts';
import { distRoot, serveStatic } from './staticFiles.ts';
import { handleTerminalUpgrade, refuseUpgrade } from './terminalPipe.ts';

export type DashboardOptions = {
  /** The built renderer (renderer/dist): index.html and its assets. */
  distDir: string;
  /** berthd's control socket. */
  controlSocket: string;
  /** 0 (the default) picks a free port. */
  port?: number;
  /** Tests may fix it; otherwise 32 random bytes. */
  token?: string;
};

export type Dashboard = {
  port: number;
  token: string;
  /** The address to open: the token rides in the fragment, which the browser never sends. */
  url: string;
  close: () => Promise<void>;
};

export class DashboardPortInUse extends Error {}

export const API_PREFIX = '/api/';

export async function startDashboard(opts: DashboardOptions): Promise<Dashboard> {
  const root = distRoot(opts.distDir);
  const token = opts.token ?? newToken();
  let port = 0;
  let headers: Record<string, string> = {};
  const live = new Set<{ destroy: () => void; once: (e: 'close', l: () => void) => unknown }>();
  const track = (s: { destroy: () => void; once: (e: 'close', l: () => void) => unknown }): void => {
    live.add(s);
    s.once('close', () => live.delete(s));
  };
  const proxy = (): ProxyContext => ({ socketPath: opts.controlSocket, headers, track });

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?', 1)[0] ?? '/';
    if (!path.startsWith(API_PREFIX)) {
      const hostOrigin = checkHostAndOrigin(req.headers, port);
      if (!hostOrigin.ok) return sendJson(proxy(), res, 403, hostOrigin.error);
      return serveStatic(root, req, res, headers);
    }
    const access = checkApiRequest(req.headers, port, token);
    if (!access.ok) return sendJson(proxy(), res, 403, access.error);
    const [, , kind, name, ...rest] = path.split('/');
    if (kind === 'call' && name && rest.length === 0) return handleCall(proxy(), name, req, res);
    if (kind === 'stream' && name && rest.length === 0) return handleStream(proxy(), name, req, res);
    if (kind === 'events' && name === undefined) return handleEvents(proxy(), req, res);
    sendJson(proxy(), res, 404, { code: 'not-found', message: `no such dashboard API: ${path}`, hint: 'the API is /api/call/<route>, /api/events, /api/stream/<stream> and /api/terminal' });
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((e: unknown) => sendJson(proxy(), res, 500, { code: 'internal', message: `the dashboard failed: ${(e as Error).message}`, hint: 'run `berth dashboard` again; if it keeps failing, report it' }));
  });
  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const path = (req.url ?? '/').split('?', 1)[0];
    if (path === '/api/terminal') return handleTerminalUpgrade({ socketPath: opts.controlSocket, port, token, track }, req, socket, head);
    socket.on('error', () => socket.destroy());
    const access = checkTerminalUpgrade(req.headers, port, token);
    if (!access.ok) return refuseUpgrade(socket, 403, access.error);
    refuseUpgrade(socket, 404, { code: 'not-found', message: `no WebSocket at ${path}`, hint: 'the terminal is at /api/terminal' });
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(e.code === 'EADDRINUSE' ? new DashboardPortInUse(`port ${opts.port} on 127.0.0.1 is in use; choose another with --port, or leave it out for a free one`) : e),
    );
    server.listen({ host: '127.0.0.1', port: opts.port ?? 0 }, () => resolve());
  });
  port = (server.address() as AddressInfo).port;
  headers = securityHeaders(port);

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> =>
    (closing ??= new Promise<void>((resolve) => {
      server.close(() => resolve());
      for (const s of live) s.destroy();
      live.clear();
      server.closeAllConnections();
    }));

  return { port, token, url: `http://127.0.0.1:${port}/#token=${token}`, close };
}
