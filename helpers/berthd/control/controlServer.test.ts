// Owns: tests of controlServer.ts on a temp unix socket with fake handlers: routing (200/404/405), body
// validation (400), the 64 KiB limit (413, T-04), handler errors, the 0600 socket, the SSE event stream, and
// streamed calls (item/end/error framing, body validation, cancel on disconnect, backpressure, close).

import { mkdtempSync, rmSync, statSync, existsSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { MAX_REQUEST_BYTES, type ApiEvent } from '../../api/controlApi.ts';
import type { Status } from '../../api/vmState.ts';
import { ControlServer, HttpError, type ControlHandlers, type ControlStreamHandlers } from './controlServer.ts';

let dir: string;
let n = 0;
const servers: ControlServer[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-cs-'));
});
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const status: Status = {
  state: 'stopped',
  vm: { state: 'stopped' },
  dockerSocket: '/tmp/x/docker.sock',
  berthdPid: 123,
  berthHome: '/home/ann/.berth',
  settings: { path: '/home/ann/.berth/settings.json', status: 'ok', notes: [] },
};

type Calls = { name: string; body: unknown }[];

function fakeHandlers(calls: Calls, over: Partial<ControlHandlers> = {}): ControlHandlers {
  const record =
    (name: string, answer: unknown) =>
    async (body: unknown): Promise<unknown> => {
      calls.push({ name, body });
      return answer;
    };
  return {
    status: record('status', status),
    start: record('start', status),
    stop: record('stop', { graceful: true, seconds: 1, message: 'stopped' }),
    restart: record('restart', status),
    settingsGet: record('settingsGet', {}),
    settingsSet: record('settingsSet', {}),
    diskReclaim: record('diskReclaim', {}),
    ports: record('ports', { forwards: [] }),
    doctor: record('doctor', {}),
    resetPlan: record('resetPlan', {}),
    reset: record('reset', {}),
    shutdownDaemon: record('shutdownDaemon', {}),
    containers: record('containers', { containers: [] }),
    containerAction: record('containerAction', { message: 'done' }),
    containerInspect: record('containerInspect', { inspect: {} }),
    images: record('images', { images: [] }),
    imageRemove: record('imageRemove', { message: 'done' }),
    volumes: record('volumes', { volumes: [] }),
    volumeRemove: record('volumeRemove', { message: 'done' }),
    logTail: record('logTail', { source: 'berthd', lines: [], path: '/x' }),
    ...over,
  };
}

async function serve(over: Partial<ControlHandlers> = {}, initial: () => ApiEvent[] = () => []): Promise<{ server: ControlServer; calls: Calls }> {
  const calls: Calls = [];
  const server = new ControlServer(join(dir, `c${n++}.sock`), fakeHandlers(calls, over), initial);
  servers.push(server);
  await server.listen();
  return { server, calls };
}

type Reply = { status: number; headers: IncomingMessage['headers']; text: string; json: unknown };

/** One request; `body` is written as given (string) or chunked in pieces (array, no content-length). */
function ask(socketPath: string, method: string, path: string, body?: string | string[], headers: Record<string, string | number> = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const h: Record<string, string | number> = { ...headers };
    if (typeof body === 'string') h['content-length'] = Buffer.byteLength(body);
    if (Array.isArray(body)) h['transfer-encoding'] = 'chunked';
    const req = request({ socketPath, method, path, headers: h }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (typeof body === 'string') req.end(body);
    else if (Array.isArray(body)) {
      for (const part of body) req.write(part);
      req.end();
    } else req.end();
  });
}

describe('ControlServer routing', () => {
  it('GET /v1/status answers 200 with the handler JSON', async () => {
    const { server, calls } = await serve();
    const r = await ask(server.path, 'GET', '/v1/status');
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/json');
    expect(r.json).toEqual(status);
    expect(calls).toEqual([{ name: 'status', body: {} }]);
  });

  it('ignores a query string', async () => {
    const { server } = await serve();
    expect((await ask(server.path, 'GET', '/v1/status?verbose=1')).status).toBe(200);
  });

  it('an unknown path is 404 with {code, message, hint}', async () => {
    const { server, calls } = await serve();
    const r = await ask(server.path, 'GET', '/v1/nope');
    expect(r.status).toBe(404);
    expect(r.json).toEqual({ code: 'not-found', message: 'no such endpoint: GET /v1/nope', hint: 'see helpers/api/controlApi.ts for the routes' });
    expect(calls).toEqual([]);
  });

  it('a wrong method is 405, and the handler is not called', async () => {
    const { server, calls } = await serve();
    const r = await ask(server.path, 'POST', '/v1/status', '{}');
    expect(r.status).toBe(405);
    expect(r.json).toEqual({ code: 'method-not-allowed', message: '/v1/status takes GET', hint: 'use GET' });
    const g = await ask(server.path, 'GET', '/v1/stop');
    expect(g.status).toBe(405);
    expect((g.json as { hint: string }).hint).toBe('use POST');
    expect(calls).toEqual([]);
  });

  it('POST passes the validated body, with schema defaults, to the handler', async () => {
    const { server, calls } = await serve();
    expect((await ask(server.path, 'POST', '/v1/stop', '{"timeoutSeconds": 5}')).status).toBe(200);
    expect((await ask(server.path, 'POST', '/v1/stop', '')).status).toBe(200);
    expect((await ask(server.path, 'POST', '/v1/restart', '{}')).status).toBe(200);
    expect(calls).toEqual([
      { name: 'stop', body: { timeoutSeconds: 5 } },
      { name: 'stop', body: { timeoutSeconds: 30 } },
      { name: 'restart', body: { timeoutSeconds: 30 } },
    ]);
  });

  it('a body that breaks the schema is 400 invalid-request, naming the field', async () => {
    const { server, calls } = await serve();
    const r = await ask(server.path, 'POST', '/v1/stop', '{"timeoutSeconds": 0}');
    expect(r.status).toBe(400);
    const err = r.json as { code: string; message: string; hint: string };
    expect(err.code).toBe('invalid-request');
    expect(err.message).toMatch(/^timeoutSeconds: /);
    expect(err.hint).toBe('check the request against the control API schema');
    for (const body of ['{"timeoutSeconds": 601}', '{"timeoutSeconds": 1.5}', '{"timeoutSeconds": "10"}', '{"force": true}', '[]', '"x"', 'null']) {
      const bad = await ask(server.path, 'POST', '/v1/stop', body);
      expect(bad.status, body).toBe(400);
      expect((bad.json as { code: string }).code, body).toBe('invalid-request');
    }
    // An unknown key on a route whose body is empty.
    const start = await ask(server.path, 'POST', '/v1/start', '{"vm": "other"}');
    expect(start.status).toBe(400);
    expect((start.json as { code: string }).code).toBe('invalid-request');
    expect(calls).toEqual([]);
  });

  it('a body that is not JSON is 400 bad-json', async () => {
    const { server, calls } = await serve();
    const r = await ask(server.path, 'POST', '/v1/start', '{not json');
    expect(r.status).toBe(400);
    expect(r.json).toEqual({ code: 'bad-json', message: 'the request body is not JSON', hint: 'send a JSON object' });
    expect(calls).toEqual([]);
  });

  it('a handler throwing HttpError gives its status and body', async () => {
    const { server } = await serve({
      start: async () => {
        throw new HttpError(409, { code: 'start-cancelled', message: 'the start ended in state stopping', hint: 'a stop was asked for while starting' });
      },
    });
    const r = await ask(server.path, 'POST', '/v1/start', '{}');
    expect(r.status).toBe(409);
    expect(r.json).toEqual({ code: 'start-cancelled', message: 'the start ended in state stopping', hint: 'a stop was asked for while starting' });
  });

  it('a handler throwing a plain Error is 500 internal, and the server keeps serving', async () => {
    const { server } = await serve({
      status: async () => {
        throw new Error('manager exploded');
      },
    });
    const r = await ask(server.path, 'GET', '/v1/status');
    expect(r.status).toBe(500);
    expect(r.json).toEqual({ code: 'internal', message: 'manager exploded', hint: 'see berthd.log in $BERTH_HOME/logs' });
    expect((await ask(server.path, 'POST', '/v1/daemon/shutdown', '{}')).status).toBe(200);
  });

  it('makes the socket file mode 0600, and close() removes it', async () => {
    const { server } = await serve();
    expect(statSync(server.path).mode & 0o777).toBe(0o600);
    await server.close();
    expect(existsSync(server.path)).toBe(false);
  });
});

describe('ControlServer request size (T-04)', () => {
  const big = `{"timeoutSeconds": 5, "pad": "${'x'.repeat(MAX_REQUEST_BYTES)}"}`;

  it('T-04: a body over 64 KiB with content-length is 413 too-large, and the handler is not called', async () => {
    const { server, calls } = await serve();
    const r = await ask(server.path, 'POST', '/v1/stop', big);
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
    expect(r.json).toEqual({ code: 'too-large', message: `request body over ${MAX_REQUEST_BYTES} bytes`, hint: 'send a smaller request' });
    expect(calls).toEqual([]);
  });

  it('T-04: a declared content-length over 64 KiB is refused before the body is read', async () => {
    const { server, calls } = await serve();
    const r = await new Promise<number>((resolve, reject) => {
      const req = request({ socketPath: server.path, method: 'POST', path: '/v1/stop', headers: { 'content-length': 10 * 1024 * 1024 } }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.write('{');
    });
    expect(r).toBe(413);
    expect(calls).toEqual([]);
  });

  it('T-04: a chunked body growing over 64 KiB is 413 too-large', async () => {
    const { server, calls } = await serve();
    const pieces = Array.from({ length: 20 }, () => 'y'.repeat(8 * 1024));
    const r = await ask(server.path, 'POST', '/v1/stop', pieces);
    expect(r.status).toBe(413);
    expect(r.headers.connection).toBe('close');
    expect((r.json as { code: string }).code).toBe('too-large');
    expect(calls).toEqual([]);
    // The server still serves.
    expect((await ask(server.path, 'GET', '/v1/status')).status).toBe(200);
  });

  it('T-04: a client that keeps sending after the 413 is disconnected, not read forever', async () => {
    const { server, calls } = await serve();
    const piece = 'z'.repeat(64 * 1024);
    let sent = 0;
    const outcome = await new Promise<{ status: number; sent: number }>((resolve) => {
      let status = 0;
      const req = request({ socketPath: server.path, method: 'POST', path: '/v1/stop', headers: { 'transfer-encoding': 'chunked' } }, (res) => {
        status = res.statusCode ?? 0;
        res.resume();
      });
      req.on('error', () => {});
      req.on('close', () => resolve({ status, sent }));
      // Up to 64 MiB, a piece at a time whenever the socket drains; the server must hang up long before.
      const pump = (): void => {
        while (!req.destroyed && sent < 1024) {
          sent++;
          if (!req.write(piece)) return void req.once('drain', pump);
        }
      };
      pump();
    });
    expect(outcome.status).toBe(413);
    expect(outcome.sent).toBeLessThan(1024);
    expect(calls).toEqual([]);
  });

  it('a body of exactly 64 KiB is read (and then judged by the schema)', async () => {
    const { server } = await serve();
    const head = '{"timeoutSeconds": 5, "pad": "';
    const exact = `${head}${'x'.repeat(MAX_REQUEST_BYTES - head.length - 2)}"}`;
    expect(Buffer.byteLength(exact)).toBe(MAX_REQUEST_BYTES);
    const r = await ask(server.path, 'POST', '/v1/stop', exact);
    expect(r.status).toBe(400);
    expect((r.json as { code: string }).code).toBe('invalid-request');
  });
});

/** Reads an SSE stream until `until` holds on the text so far. */
function follow(socketPath: string): { text: () => string; wait: (cond: (t: string) => boolean) => Promise<void>; stop: () => void; res: Promise<IncomingMessage> } {
  let text = '';
  const waiters: { cond: (t: string) => boolean; resolve: () => void }[] = [];
  let req: ReturnType<typeof request>;
  const res = new Promise<IncomingMessage>((resolve, reject) => {
    req = request({ socketPath, method: 'GET', path: '/v1/events' }, (r) => {
      r.setEncoding('utf8');
      r.on('data', (d: string) => {
        text += d;
        for (const w of waiters.splice(0)) {
          if (w.cond(text)) w.resolve();
          else waiters.push(w);
        }
      });
      resolve(r);
    });
    req.on('error', reject);
    req.end();
  });
  return {
    text: () => text,
    wait: (cond) => (cond(text) ? Promise.resolve() : new Promise((resolve) => waiters.push({ cond, resolve }))),
    stop: () => req.destroy(),
    res,
  };
}

const subscriberCount = (s: ControlServer): number => (s as unknown as { subscribers: Set<unknown> }).subscribers.size;

async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('ControlServer events', () => {
  const first: ApiEvent = { type: 'state', vm: { state: 'stopped' } };
  const starting: ApiEvent = { type: 'state', vm: { state: 'starting', phase: 'booting', progress: 0.5, since: 1 } };
  const logLine: ApiEvent = { type: 'log', source: 'console', line: 'Linux version 6.1' };
  const frame = (e: ApiEvent): string => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

  it('GET /v1/events sends the initial events, then published ones, as SSE frames', async () => {
    const { server } = await serve({}, () => [first]);
    const f = follow(server.path);
    const res = await f.res;
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/event-stream');
    expect(res.headers['cache-control']).toBe('no-store');
    await f.wait((t) => t.includes(frame(first)));
    server.publish(starting);
    server.publish(logLine);
    await f.wait((t) => t.includes(frame(logLine)));
    expect(f.text()).toBe(`: berthd events\n\n${frame(first)}${frame(starting)}${frame(logLine)}`);
    f.stop();
  });

  it('publishes to every subscriber, each getting the initial events of its own time', async () => {
    let current: ApiEvent = first;
    const { server } = await serve({}, () => [current]);
    const a = follow(server.path);
    await a.wait((t) => t.includes(frame(first)));
    current = starting;
    server.publish(starting);
    const b = follow(server.path);
    await b.wait((t) => t.includes(frame(starting)));
    expect(subscriberCount(server)).toBe(2);
    server.publish(logLine);
    await Promise.all([a.wait((t) => t.includes(frame(logLine))), b.wait((t) => t.includes(frame(logLine)))]);
    expect(a.text()).toBe(`: berthd events\n\n${frame(first)}${frame(starting)}${frame(logLine)}`);
    expect(b.text()).toBe(`: berthd events\n\n${frame(starting)}${frame(logLine)}`);
    a.stop();
    b.stop();
  });

  it('drops a subscriber when its client disconnects', async () => {
    const { server } = await serve({}, () => [first]);
    const a = follow(server.path);
    const b = follow(server.path);
    await a.wait((t) => t.includes(frame(first)));
    await b.wait((t) => t.includes(frame(first)));
    expect(subscriberCount(server)).toBe(2);
    a.stop();
    await until(() => subscriberCount(server) === 1, 'the first subscriber to be dropped');
    server.publish(logLine);
    await b.wait((t) => t.includes(frame(logLine)));
    b.stop();
    await until(() => subscriberCount(server) === 0, 'no subscribers');
    expect(() => server.publish(logLine)).not.toThrow();
  });

  it('close() ends the event streams', async () => {
    const { server } = await serve({}, () => [first]);
    const a = follow(server.path);
    const res = await a.res;
    const ended = new Promise((r) => res.once('end', r));
    await a.wait((t) => t.includes(frame(first)));
    await server.close();
    await ended;
    expect(subscriberCount(server)).toBe(0);
  });
});

/** The answer of a streamed call, read to its end. */
function streamCall(socketPath: string, path: string, body: string): { reply: Promise<Reply>; cancel: () => void; firstBytes: Promise<void> } {
  let req: ReturnType<typeof request> | undefined;
  let gotBytes: () => void = () => undefined;
  const firstBytes = new Promise<void>((r) => (gotBytes = r));
  const reply = new Promise<Reply>((resolve, reject) => {
    req = request({ socketPath, method: 'POST', path, headers: { 'content-length': Buffer.byteLength(body) } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        text += d;
        gotBytes();
      });
      res.on('end', () => {
        let json: unknown;
        try {
          json = JSON.parse(text);
        } catch {
          json = undefined;
        }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
  return { reply, cancel: () => req?.destroy(), firstBytes };
}

const streamingCount = (s: ControlServer): number => (s as unknown as { streaming: Set<unknown> }).streaming.size;

describe('ControlServer streamed calls', () => {
  async function serveStreams(handlers: Partial<ControlStreamHandlers>): Promise<ControlServer> {
    const { server } = await serve();
    const never = (): Promise<void> => Promise.reject(new Error('not in this test'));
    server.serveStreams({ containerLogs: never, imagePull: never, ...handlers });
    return server;
  }

  it('answers SSE: one `item` frame per item, then `end` with {}', async () => {
    const bodies: unknown[] = [];
    const server = await serveStreams({
      containerLogs: async (body, ctx) => {
        bodies.push(body);
        ctx.emit({ stream: 'stdout', line: 'one' });
        ctx.emit({ stream: 'stderr', line: 'two: {"json": "inside"}' });
      },
    });
    const r = await streamCall(server.path, '/v1/containers/logs', '{"id":"web"}').reply;
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('text/event-stream');
    expect(r.headers['cache-control']).toBe('no-store');
    expect(r.text).toBe(
      ': containerLogs\n\n' +
        'event: item\ndata: {"stream":"stdout","line":"one"}\n\n' +
        'event: item\ndata: {"stream":"stderr","line":"two: {\\"json\\": \\"inside\\"}"}\n\n' +
        'event: end\ndata: {}\n\n',
    );
    // The body reached the handler validated, with the schema's defaults.
    expect(bodies).toEqual([{ id: 'web', follow: true, tail: 500, timestamps: false }]);
    expect(streamingCount(server)).toBe(0);
  });

  it('a handler failing with HttpError ends with `error` carrying its {code, message, hint}', async () => {
    const err = { code: 'pull-failed', message: 'pulling busybox:latest failed: no such host', hint: 'check the network and the proxy settings' };
    const server = await serveStreams({
      imagePull: async (_body, ctx) => {
        ctx.emit({ status: 'Pulling from library/busybox' });
        throw new HttpError(502, err);
      },
    });
    const r = await streamCall(server.path, '/v1/images/pull', '{"ref":"busybox:latest"}').reply;
    expect(r.status).toBe(200);
    expect(r.text).toBe(`: imagePull\n\nevent: item\ndata: {"status":"Pulling from library/busybox"}\n\nevent: error\ndata: ${JSON.stringify(err)}\n\n`);
  });

  it('a plain Error from the handler ends with an internal `error`', async () => {
    const server = await serveStreams({
      imagePull: async () => {
        throw new Error('dockerode exploded');
      },
    });
    const r = await streamCall(server.path, '/v1/images/pull', '{"ref":"busybox"}').reply;
    expect(r.text).toContain(`event: error\ndata: ${JSON.stringify({ code: 'internal', message: 'dockerode exploded', hint: 'see berthd.log in $BERTH_HOME/logs' })}\n\n`);
    expect(r.text).not.toContain('event: end');
  });

  it('a body that breaks the schema is a 400 JSON answer, and the handler is not called', async () => {
    let called = 0;
    const server = await serveStreams({
      imagePull: async () => {
        called++;
      },
      containerLogs: async () => {
        called++;
      },
    });
    for (const [path, body] of [
      ['/v1/images/pull', '{"ref":"../../etc/passwd"}'],
      ['/v1/images/pull', '{}'],
      ['/v1/containers/logs', '{"id":"web","tail":-1}'],
      ['/v1/containers/logs', '{"id":"web","extra":1}'],
    ] as const) {
      const r = await streamCall(server.path, path, body).reply;
      expect(r.status, body).toBe(400);
      expect(r.headers['content-type']).toBe('application/json');
      expect((r.json as { code: string }).code).toBe('invalid-request');
    }
    const bad = await streamCall(server.path, '/v1/images/pull', '{nope').reply;
    expect(bad.status).toBe(400);
    expect((bad.json as { code: string }).code).toBe('bad-json');
    expect(called).toBe(0);
  });

  it('GET on a stream path is 405; a server without stream handlers answers 404', async () => {
    const server = await serveStreams({});
    const g = await ask(server.path, 'GET', '/v1/images/pull');
    expect(g.status).toBe(405);
    expect(g.json).toEqual({ code: 'method-not-allowed', message: '/v1/images/pull takes POST', hint: 'use POST' });
    const { server: bare } = await serve();
    const r = await ask(bare.path, 'POST', '/v1/images/pull', '{"ref":"busybox"}');
    expect(r.status).toBe(404);
    expect((r.json as { message: string }).message).toBe('this berthd does not serve the imagePull stream');
  });

  it('the client disconnecting aborts the handler signal, and the stream is forgotten', async () => {
    let aborted = false;
    let started: () => void = () => undefined;
    const running = new Promise<void>((r) => (started = r));
    const server = await serveStreams({
      containerLogs: (_body, ctx) =>
        new Promise<void>((resolve) => {
          ctx.emit({ stream: 'stdout', line: 'first' });
          started();
          ctx.signal.addEventListener('abort', () => {
            aborted = true;
            // Emitting after the cancel is harmless: nothing is written, emit says so.
            expect(ctx.emit({ stream: 'stdout', line: 'late' })).toBe(false);
            resolve();
          });
        }),
    });
    const call = streamCall(server.path, '/v1/containers/logs', '{"id":"web","follow":true}');
    call.reply.catch(() => undefined);
    await running;
    await call.firstBytes;
    expect(streamingCount(server)).toBe(1);
    call.cancel();
    await until(() => aborted, 'the handler to see the abort');
    await until(() => streamingCount(server) === 0, 'the stream to be forgotten');
  });

  it('emit says when the client is behind, and drained() resolves once it caught up', async () => {
    const chunk = 'x'.repeat(256 * 1024);
    let refused = 0;
    let sent = 0;
    const server = await serveStreams({
      containerLogs: async (_body, ctx) => {
        while (sent < 200) {
          sent++;
          if (!ctx.emit({ stream: 'stdout', line: chunk })) {
            refused++;
            await ctx.drained();
          }
        }
      },
    });
    const r = await streamCall(server.path, '/v1/containers/logs', '{"id":"web"}').reply;
    expect(refused).toBeGreaterThan(0);
    expect(r.text.split('event: item\n').length - 1).toBe(200);
    expect(r.text.endsWith('event: end\ndata: {}\n\n')).toBe(true);
  });

  it('close() ends open streams with a berthd-stopping error and aborts their handlers', async () => {
    let signal: AbortSignal | undefined;
    const server = await serveStreams({
      containerLogs: (_body, ctx) => {
        signal = ctx.signal;
        ctx.emit({ stream: 'stdout', line: 'first' });
        return new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
      },
    });
    const call = streamCall(server.path, '/v1/containers/logs', '{"id":"web"}');
    await call.firstBytes;
    await until(() => signal !== undefined, 'the handler to run');
    await server.close();
    const r = await call.reply;
    expect(signal?.aborted).toBe(true);
    expect(r.text).toContain('event: error\ndata: {"code":"berthd-stopping"');
  });
});
