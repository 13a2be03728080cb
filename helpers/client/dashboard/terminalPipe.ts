// Owns: the terminal WebSocket of the bridge — checks the browser's handshake (token subprotocol, Host,
// Origin, spec), replays it to berthd's /v1/terminal without the token, then pipes bytes both ways.
import type { IncomingMessage } from 'node:http';
import { STATUS_CODES } from 'node:http';
import { connect } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ApiError } from '../../api/controlApi.ts';
import { TERMINAL_PATH, TERMINAL_PROTOCOL, terminalSpecSchema } from '../../api/terminal.ts';
import { checkTerminalUpgrade, offeredProtocols } from './bridgeAccess.ts';
import { BERTHD_DOWN } from './apiProxy.ts';

export type TerminalContext = {
  socketPath: string;
  port: number;
  token: string;
  /** Keeps a socket until it closes, so closing the bridge can end it. */
  track: (socket: Duplex) => void;
};

/** Answers a refused upgrade with a plain HTTP error ({code,message,hint}) and closes the connection. */
export function refuseUpgrade(socket: Duplex, status: number, error: ApiError): void {
  const text = JSON.stringify(error);
  socket.end(`HTTP/1.1 ${status} ${STATUS_CODES[status] ?? ''}\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(text)}\r\nCache-Control: no-store\r\nConnection: close\r\n\r\n${text}`);
}

type Handshake = { ok: true; key: string; spec: string } | { ok: false; status: number; error: ApiError };

const bad = (message: string, hint: string): Handshake => ({ ok: false, status: 400, error: { code: 'bad-terminal-request', message, hint } });

/** Checks the browser's upgrade request. Pure: returns what to forward, or the answer to refuse with. */
export function checkTerminalHandshake(req: IncomingMessage, port: number, token: string): Handshake {
  const access = checkTerminalUpgrade(req.headers, port, token);
  if (!access.ok) return { ok: false, status: 403, error: access.error };
  if (req.method !== 'GET') return bad(`a terminal opens with GET, not ${req.method}`, 'open it with a WebSocket');
  if (req.headers.upgrade?.toLowerCase() !== 'websocket') return bad('the request does not ask for a WebSocket', 'open it with a WebSocket');
  if (req.headers['sec-websocket-version'] !== '13') return bad('unsupported WebSocket version', 'use a browser that speaks WebSocket version 13');
  const key = req.headers['sec-websocket-key'];
  if (typeof key !== 'string' || !/^[A-Za-z0-9+/]{22}==$/.test(key)) return bad('the WebSocket key is missing or malformed', 'open it with a WebSocket');
  if (!offeredProtocols(req.headers).includes(TERMINAL_PROTOCOL)) return bad(`the connection does not offer the ${TERMINAL_PROTOCOL} subprotocol`, `offer ['${TERMINAL_PROTOCOL}', 'berth-token.<token>']`);
  const rawSpec = new URL(req.url ?? '/', 'http://bridge').searchParams.get('spec');
  if (rawSpec === null) return bad('the terminal request has no spec', 'add ?spec=<JSON> (see helpers/api/terminal.ts)');
  let json: unknown;
  try {
    json = JSON.parse(rawSpec);
  } catch {
    return bad('the terminal spec is not JSON', 'send ?spec=<url-encoded JSON> (see helpers/api/terminal.ts)');
  }
  const parsed = terminalSpecSchema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return bad(`terminal spec ${issue?.path.join('.') || ''}: ${issue?.message ?? 'invalid'}`, 'check the spec against helpers/api/terminal.ts');
  }
  return { ok: true, key, spec: JSON.stringify(json) };
}

/** The upgrade request berthd gets: only the handshake's own headers and one subprotocol, no token. */
export function upstreamHandshake(key: string, spec: string): string {
  return [
    `GET ${TERMINAL_PATH}?spec=${encodeURIComponent(spec)} HTTP/1.1`,
    'Host: berthd',
    'Connection: Upgrade',
    'Upgrade: websocket',
    'Sec-WebSocket-Version: 13',
    `Sec-WebSocket-Key: ${key}`,
    `Sec-WebSocket-Protocol: ${TERMINAL_PROTOCOL}`,
    '',
    '',
  ].join('\r\n');
}

/**
 * Handles an upgrade on /api/terminal. berthd's answer (101 and its Sec-WebSocket-Accept for the same
 * key) goes back to the browser untouched; after that both directions are plain bytes.
 */
export function handleTerminalUpgrade(ctx: TerminalContext, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  socket.on('error', () => socket.destroy());
  const hs = checkTerminalHandshake(req, ctx.port, ctx.token);
  if (!hs.ok) return refuseUpgrade(socket, hs.status, hs.error);
  ctx.track(socket);
  const upstream = connect({ path: ctx.socketPath });
  ctx.track(upstream);
  let connected = false;
  upstream.on('error', (e: NodeJS.ErrnoException) => {
    if (connected) return void socket.destroy();
    if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') refuseUpgrade(socket, 503, BERTHD_DOWN);
    else refuseUpgrade(socket, 502, { code: 'berthd-error', message: `the connection to berthd failed: ${e.message}`, hint: 'see berthd.log in $BERTH_HOME/logs, or run `berth restart`' });
  });
  upstream.on('connect', () => {
    connected = true;
    upstream.write(upstreamHandshake(hs.key, hs.spec));
    if (head.length > 0) upstream.write(head);
    socket.pipe(upstream);
    upstream.pipe(socket);
  });
  socket.on('close', () => upstream.destroy());
  upstream.on('close', () => connected && socket.destroy());
}
