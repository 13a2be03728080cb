// Owns: the control socket's WebSocket endpoints — `GET <path>` with `Upgrade: websocket` taken over by
// `ws` (noServer) when the client offers the path's subprotocol; a 400 {code, message, hint} when not.
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { ApiError } from '../../api/controlApi.ts';

/** A WebSocket accepted on a registered path, with the query of its URL. */
export type WebSocketHandler = (ws: WebSocket, query: URLSearchParams) => void;

/** Largest frame a client may send (keyboard input and control messages are far smaller). */
export const MAX_WEBSOCKET_FRAME = 1024 * 1024;

function offeredProtocols(req: IncomingMessage): string[] {
  const header = req.headers['sec-websocket-protocol'];
  return (Array.isArray(header) ? header.join(',') : (header ?? '')).split(',').map((p) => p.trim()).filter(Boolean);
}

function refuse(socket: Duplex, status: number, reason: string, body: ApiError): void {
  const text = JSON.stringify(body);
  socket.end(`HTTP/1.1 ${status} ${reason}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(text)}\r\nConnection: close\r\n\r\n${text}`);
}

export class WebSocketRoutes {
  private readonly routes = new Map<string, { protocol: string; handler: WebSocketHandler }>();
  private readonly wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_WEBSOCKET_FRAME,
    handleProtocols: (offered, req) => {
      const route = this.routes.get(new URL(req.url ?? '/', 'http://berthd').pathname);
      return route && offered.has(route.protocol) ? route.protocol : false;
    },
  });

  add(path: string, protocol: string, handler: WebSocketHandler): void {
    this.routes.set(path, { protocol, handler });
  }

  /** Take an upgrade request if it is a WebSocket for a registered path; false leaves it to the caller. */
  handle(req: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    if (req.method !== 'GET' || req.headers.upgrade?.toLowerCase() !== 'websocket') return false;
    const url = new URL(req.url ?? '/', 'http://berthd');
    const route = this.routes.get(url.pathname);
    if (!route) return false;
    if (!offeredProtocols(req).includes(route.protocol)) {
      refuse(socket, 400, 'Bad Request', { code: 'bad-protocol', message: `${url.pathname} speaks the WebSocket subprotocol ${route.protocol} only`, hint: `open it with the subprotocol ${route.protocol}` });
      return true;
    }
    this.wss.handleUpgrade(req, socket, head, (ws) => route.handler(ws, url.searchParams));
    return true;
  }

  /** Drop every open WebSocket (berthd is stopping; their owners said goodbye already). */
  close(): void {
    for (const ws of this.wss.clients) ws.terminate();
    this.wss.close();
  }
}
