// berthd's control API on a unix socket only this user can open (0600 in a 0700 dir), or on Windows on
// the control pipe (hostEndpoints.ts; others get read-only access and cannot send a request): JSON requests
// validated with the shared zod schemas, errors as {code, message, hint}, an SSE event stream, and
// streamed calls (POST answered as SSE items, then end or error; cancelled when the client leaves).
import { chmodSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Duplex } from 'node:stream';
import type { z } from 'zod';
import { MAX_REQUEST_BYTES, routes, streams, type ApiError, type ApiEvent, type StreamName } from '../../api/controlApi.ts';
import { listenOnPipe } from '../forward/pipeListen.ts';
import { claimSocketPath } from '../forward/unixSocketClaim.ts';
import { WebSocketRoutes, type WebSocketHandler } from './webSocketRoutes.ts';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly body: ApiError,
  ) {
    super(body.message);
  }
}

type Handler = (body: unknown) => Promise<unknown>;
export type ControlHandlers = { [K in keyof typeof routes]: Handler };
/** What a streamed call's handler gets: `emit` sends an item (false: the client is behind, wait for `drained`); `signal` aborts when the client leaves. */
export type StreamContext<T> = { emit: (item: T) => boolean; drained: () => Promise<void>; signal: AbortSignal };
export type StreamHandler<K extends StreamName> = (body: z.infer<(typeof streams)[K]['body']>, ctx: StreamContext<z.infer<(typeof streams)[K]['item']>>) => Promise<void>;
export type ControlStreamHandlers = { [K in StreamName]: StreamHandler<K> };
/**
 * A connection taken over after `POST <path>` with `Connection: Upgrade` (as Docker's attach does):
 * the handler gets the parsed query and the raw socket, and answers the 101 itself.
 */
export type UpgradeHandler = (query: URLSearchParams, socket: Duplex, head: Buffer) => void;

function send(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_REQUEST_BYTES) return reject(new HttpError(413, { code: 'too-large', message: `request body over ${MAX_REQUEST_BYTES} bytes`, hint: 'send a smaller request' }));
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (size > MAX_REQUEST_BYTES) return; // refused already: drop the rest (the 413 closes the connection)
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        // Not req.destroy(): that kills the socket before the 413 can be sent.
        chunks.length = 0;
        reject(new HttpError(413, { code: 'too-large', message: `request body over ${MAX_REQUEST_BYTES} bytes`, hint: 'send a smaller request' }));
      } else chunks.push(c);
    });
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return resolve({});
      try {
        resolve(JSON.parse(text));
      } catch {
        reject(new HttpError(400, { code: 'bad-json', message: 'the request body is not JSON', hint: 'send a JSON object' }));
      }
    });
    req.on('error', reject);
  });
}

/** The request body checked against a route's or stream's schema (400 invalid-request naming the field). */
async function validBody(req: IncomingMessage, schema: z.ZodType): Promise<unknown> {
  const parsed = schema.safeParse(await readBody(req));
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new HttpError(400, { code: 'invalid-request', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, hint: 'check the request against the control API schema' });
  }
  return parsed.data;
}

const sse = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

export class ControlServer {
  private server: Server | undefined;
  private readonly subscribers = new Set<ServerResponse>();
  private readonly webSockets = new WebSocketRoutes();
  private readonly streaming = new Set<{ res: ServerResponse; abort: AbortController }>();
  private streamHandlers: Partial<ControlStreamHandlers> = {};

  constructor(
    readonly path: string,
    private readonly handlers: ControlHandlers,
    private readonly initialEvents: () => ApiEvent[],
    private readonly upgrades: Record<string, UpgradeHandler> = {},
    /** The host's platform: win32 serves a named pipe (no file to claim or chmod). */
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  async listen(): Promise<void> {
    const pipe = this.platform === 'win32';
    if (!pipe) await claimSocketPath(this.path);
    const server = createServer((req, res) => void this.onRequest(req, res));
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      if (this.webSockets.handle(req, socket, head)) return;
      const url = new URL(req.url ?? '/', 'http://berthd');
      const handler = this.upgrades[url.pathname];
      if (req.method !== 'POST' || !handler) {
        socket.end('HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n{"code":"not-found","message":"no such upgrade endpoint","hint":"see helpers/api/controlApi.ts"}');
        return;
      }
      handler(url.searchParams, socket, head);
    });
    if (pipe) {
      await listenOnPipe(server, this.path, "berthd's control pipe");
      this.server = server;
      return;
    }
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => resolve());
    });
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  /** Serve WebSockets on `GET <path>` (Upgrade: websocket) for clients offering `protocol` (webSocketRoutes.ts). */
  serveWebSocket(path: string, protocol: string, handler: WebSocketHandler): void {
    this.webSockets.add(path, protocol, handler);
  }

  /** Serve the streamed calls of `streams` (controlApi.ts). */
  serveStreams(handlers: ControlStreamHandlers): void {
    this.streamHandlers = handlers;
  }

  /** Send an event to every subscriber of GET /v1/events. */
  publish(event: ApiEvent): void {
    const frame = `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
    for (const res of this.subscribers) res.write(frame);
  }

  private async onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const path = (req.url ?? '/').split('?')[0];
      if (req.method === 'GET' && path === '/v1/events') return this.subscribe(res);
      const stream = (Object.keys(streams) as StreamName[]).find((n) => streams[n].path === path);
      if (stream) return await this.serveStream(stream, req, res);
      const onPath = Object.entries(routes).filter(([, r]) => r.path === path);
      if (onPath.length === 0) throw new HttpError(404, { code: 'not-found', message: `no such endpoint: ${req.method} ${path}`, hint: 'see helpers/api/controlApi.ts for the routes' });
      const entry = onPath.find(([, r]) => r.method === req.method);
      if (!entry) {
        const methods = onPath.map(([, r]) => r.method).join(' or ');
        throw new HttpError(405, { code: 'method-not-allowed', message: `${path} takes ${methods}`, hint: `use ${methods}` });
      }
      const [name, route] = entry as [keyof typeof routes, (typeof routes)[keyof typeof routes]];
      const body = route.method === 'POST' ? await validBody(req, (route as { body: z.ZodType }).body) : {};
      send(res, 200, await this.handlers[name](body));
    } catch (e) {
      if (e instanceof HttpError) {
        // A body over the limit may still be arriving: answer, then close the connection instead of reading it.
        if (e.status === 413) res.setHeader('connection', 'close');
        send(res, e.status, e.body);
      } else send(res, 500, { code: 'internal', message: (e as Error).message, hint: 'see berthd.log in $BERTH_HOME/logs' });
    }
  }

  /**
   * POST <stream path>: a bad request is answered as JSON like a route's; once the body is valid the
   * answer is SSE — `item` frames, then `end` or `error` (an ApiError). The client leaving aborts the call.
   */
  private async serveStream<K extends StreamName>(name: K, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') throw new HttpError(405, { code: 'method-not-allowed', message: `${streams[name].path} takes POST`, hint: 'use POST' });
    const handler = this.streamHandlers[name] as StreamHandler<K> | undefined;
    if (!handler) throw new HttpError(404, { code: 'not-found', message: `this berthd does not serve the ${name} stream`, hint: 'update Berth: berthd and its client are of different versions' });
    const body = (await validBody(req, streams[name].body)) as Parameters<StreamHandler<K>>[0];
    const abort = new AbortController();
    const entry = { res, abort };
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(`: ${name}\n\n`);
    this.streaming.add(entry);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(keepAlive);
      this.streaming.delete(entry);
      if (!res.writableFinished) abort.abort();
    });
    const live = (): boolean => !abort.signal.aborted && !res.writableEnded;
    const ctx: StreamContext<unknown> = {
      emit: (item) => (live() ? res.write(sse('item', item)) : false),
      drained: () =>
        live() && res.writableNeedDrain
          ? new Promise<void>((resolve) => {
              const done = (): void => {
                res.off('drain', done);
                res.off('close', done);
                resolve();
              };
              res.on('drain', done);
              res.on('close', done);
            })
          : Promise.resolve(),
      signal: abort.signal,
    };
    let ending: { event: 'end' | 'error'; data: unknown };
    try {
      await handler(body, ctx as Parameters<StreamHandler<K>>[1]);
      ending = { event: 'end', data: {} };
    } catch (e) {
      ending = { event: 'error', data: e instanceof HttpError ? e.body : { code: 'internal', message: (e as Error).message, hint: 'see berthd.log in $BERTH_HOME/logs' } };
    }
    if (live()) res.end(sse(ending.event, ending.data));
  }

  private subscribe(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store', connection: 'keep-alive' });
    res.write(': berthd events\n\n');
    this.subscribers.add(res);
    for (const e of this.initialEvents()) res.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
    const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
    res.on('close', () => {
      clearInterval(keepAlive);
      this.subscribers.delete(res);
    });
  }

  async close(): Promise<void> {
    for (const s of this.subscribers) s.end();
    this.subscribers.clear();
    this.webSockets.close();
    for (const s of this.streaming) {
      s.abort.abort();
      s.res.end(sse('error', { code: 'berthd-stopping', message: 'berthd is shutting down', hint: 'start Berth again, then retry' }));
    }
    this.streaming.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
