// Owns: the bridge's HTTP API — /api/call/<route>, /api/events and /api/stream/<stream> — bodies
// capped and checked with the shared zod schemas, then passed to berthd's unix socket and answered as-is.
import { request, type ClientRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { z } from 'zod';
import { MAX_REQUEST_BYTES, routes, streams, type ApiError } from '../../api/controlApi.ts';

export type ProxyContext = {
  /** berthd's control socket. */
  socketPath: string;
  /** Headers every answer carries (security headers). */
  headers: Record<string, string>;
  /** Keeps the upstream request until it closes, so closing the bridge can end it. */
  track: (upstream: ClientRequest) => void;
};

export const BERTHD_DOWN: ApiError = { code: 'berthd-down', message: 'berthd is not running, so the dashboard cannot reach it', hint: 'run `berth start`' };
const EMPTY_BODY = z.object({}).strict();

export function sendJson(ctx: ProxyContext, res: ServerResponse, status: number, body: unknown, extra: Record<string, string> = {}): void {
  if (res.headersSent) return void res.destroy();
  const text = JSON.stringify(body);
  res.writeHead(status, { ...ctx.headers, ...extra, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
  res.end(text);
}

type BodyResult = { ok: true; value: unknown } | { ok: false; status: number; error: ApiError };

const tooLarge: BodyResult = { ok: false, status: 413, error: { code: 'too-large', message: `request body over ${MAX_REQUEST_BYTES} bytes`, hint: 'send a smaller request' } };

/** Reads a JSON body of at most MAX_REQUEST_BYTES (an empty body is `{}`). */
export function readJsonBody(req: IncomingMessage): Promise<BodyResult> {
  return new Promise((resolve) => {
    if (Number(req.headers['content-length'] ?? 0) > MAX_REQUEST_BYTES) return resolve(tooLarge);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (size > MAX_REQUEST_BYTES) return;
      size += c.length;
      if (size > MAX_REQUEST_BYTES) {
        chunks.length = 0;
        resolve(tooLarge);
      } else chunks.push(c);
    });
    req.on('end', () => {
      if (size > MAX_REQUEST_BYTES) return;
      const text = Buffer.concat(chunks).toString('utf8');
      if (!text.trim()) return resolve({ ok: true, value: {} });
      try {
        resolve({ ok: true, value: JSON.parse(text) });
      } catch {
        resolve({ ok: false, status: 400, error: { code: 'bad-json', message: 'the request body is not JSON', hint: 'send a JSON object' } });
      }
    });
    req.on('error', () => resolve({ ok: false, status: 400, error: { code: 'aborted', message: 'the request broke off', hint: 'try again' } }));
  });
}

/** Reads and validates a body; answers the error itself and returns undefined when it is refused. */
async function validBody(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse, schema: z.ZodType): Promise<string | undefined> {
  const body = await readJsonBody(req);
  if (!body.ok) {
    sendJson(ctx, res, body.status, body.error, body.status === 413 ? { connection: 'close' } : {});
    return undefined;
  }
  const parsed = schema.safeParse(body.value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    sendJson(ctx, res, 400, { code: 'invalid-request', message: `${issue?.path.join('.') || 'body'}: ${issue?.message ?? 'invalid'}`, hint: 'check the request against the control API schema (helpers/api/controlApi.ts)' });
    return undefined;
  }
  // What was checked is what berthd gets (berthd checks it again and applies the defaults).
  return JSON.stringify(body.value);
}

/**
 * Sends one request to berthd and passes its answer through: status, content type and body as they
 * come (an event stream is flushed chunk by chunk). The browser going away closes the upstream request.
 */
function forward(ctx: ProxyContext, res: ServerResponse, method: 'GET' | 'POST', path: string, payload: string | undefined): void {
  const headers: Record<string, string | number> = { accept: path === '/v1/events' ? 'text/event-stream' : 'application/json' };
  if (payload !== undefined) Object.assign(headers, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) });
  const upstream = request({ socketPath: ctx.socketPath, method, path, headers, agent: false }, (answer) => {
    const contentType = answer.headers['content-type'] ?? 'application/json; charset=utf-8';
    const isStream = contentType.startsWith('text/event-stream');
    res.writeHead(answer.statusCode ?? 502, { ...ctx.headers, 'content-type': contentType, 'cache-control': 'no-store' });
    if (isStream) res.flushHeaders();
    answer.pipe(res);
    // berthd going away ends an event stream (the page reconnects); a cut JSON answer is never completed.
    answer.on('close', () => {
      if (answer.complete || res.writableEnded) return;
      if (isStream) res.end();
      else res.destroy();
    });
  });
  ctx.track(upstream);
  res.on('close', () => upstream.destroy());
  upstream.on('error', (e: NodeJS.ErrnoException) => {
    if (res.headersSent || res.destroyed) return;
    if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED') sendJson(ctx, res, 503, { ...BERTHD_DOWN, message: `berthd is not running (nothing answers on ${ctx.socketPath}), so the dashboard cannot reach it` });
    else sendJson(ctx, res, 502, { code: 'berthd-error', message: `the connection to berthd failed: ${e.message}`, hint: 'see berthd.log in $BERTH_HOME/logs, or run `berth restart`' });
  });
  upstream.end(payload);
}

const methodNotAllowed = (method: string): ApiError => ({ code: 'method-not-allowed', message: `${method} is not how this is called`, hint: 'see the browser bridge wire format in docs/architecture.md' });

/** POST /api/call/<name>: a route of `routes`, the body checked with its schema (GET routes take `{}`). */
export async function handleCall(ctx: ProxyContext, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!Object.hasOwn(routes, name)) return sendJson(ctx, res, 404, { code: 'not-found', message: `no such call: ${name}`, hint: 'the calls are the routes of helpers/api/controlApi.ts' });
  if (req.method !== 'POST') return sendJson(ctx, res, 405, methodNotAllowed(req.method ?? ''), { allow: 'POST' });
  const route = routes[name as keyof typeof routes];
  const payload = await validBody(ctx, req, res, 'body' in route ? route.body : EMPTY_BODY);
  if (payload === undefined) return;
  forward(ctx, res, route.method, route.path, route.method === 'POST' ? payload : undefined);
}

/** POST /api/stream/<name>: a streamed call of `streams`, answered as berthd's event stream. */
export async function handleStream(ctx: ProxyContext, name: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  if (!Object.hasOwn(streams, name)) return sendJson(ctx, res, 404, { code: 'not-found', message: `no such stream: ${name}`, hint: 'the streams are those of helpers/api/controlApi.ts' });
  if (req.method !== 'POST') return sendJson(ctx, res, 405, methodNotAllowed(req.method ?? ''), { allow: 'POST' });
  const stream = streams[name as keyof typeof streams];
  const payload = await validBody(ctx, req, res, stream.body);
  if (payload === undefined) return;
  forward(ctx, res, stream.method, stream.path, payload);
}

/** GET /api/events: berthd's event stream. When berthd is down the answer is 503 and the page retries. */
export function handleEvents(ctx: ProxyContext, req: IncomingMessage, res: ServerResponse): void {
  if (req.method !== 'GET') return sendJson(ctx, res, 405, methodNotAllowed(req.method ?? ''), { allow: 'GET' });
  forward(ctx, res, 'GET', '/v1/events', undefined);
}
