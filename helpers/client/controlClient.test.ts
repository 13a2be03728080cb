// Owns: tests of controlClient.ts against small fake berthd servers on temp unix sockets: call() decoding,
// API errors, bad answers, an absent daemon, a timeout; followEvents() parsing SSE frames split anyhow.

import { spawn } from 'node:child_process';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../api/controlApi.ts';
import type { Status } from '../api/vmState.ts';
import { call, ControlApiError, DaemonUnreachable, followEvents } from './controlClient.ts';
import { useUnixSockets } from './unixSocketFixture.ts';

const sockets = useUnixSockets('berth-cc-');

type Seen = { method: string; url: string; headers: IncomingMessage['headers']; body: string };

/** A fake berthd: records each request and lets `answer` write the response. */
async function fakeDaemon(answer: (res: ServerResponse, seen: Seen) => void): Promise<{ path: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const path = await sockets.serveHttp((req, res, body) => {
    const s = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body };
    seen.push(s);
    answer(res, s);
  });
  return { path, seen };
}

const json =
  (status: number, body: unknown) =>
  (res: ServerResponse): void => {
    res.writeHead(status, { 'content-type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };

const status: Status = {
  state: 'running',
  vm: { state: 'running', degraded: [], since: 1 },
  accel: { accel: 'kvm', requested: 'auto', why: 'auto: KVM' },
  uptimeSeconds: 3,
  dockerVersion: '27.3.1',
  dockerSocket: '/tmp/b/docker.sock',
  dockerContext: 'berth',
  berthdPid: 77,
  berthHome: '/home/ann/.berth',
  settings: { path: '/home/ann/.berth/settings.json', status: 'ok', notes: [] },
};

const rejection = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );

describe('call', () => {
  it('GETs a route and returns the decoded answer', async () => {
    const d = await fakeDaemon(json(200, status));
    expect(await call(d.path, 'status')).toEqual(status);
    expect(d.seen).toHaveLength(1);
    expect(d.seen[0]).toMatchObject({ method: 'GET', url: '/v1/status', body: '' });
  });

  it('POSTs the body as JSON with a content-length', async () => {
    const d = await fakeDaemon(json(200, { graceful: true, seconds: 2.5, message: 'stopped cleanly' }));
    expect(await call(d.path, 'stop', { timeoutSeconds: 5 })).toEqual({ graceful: true, seconds: 2.5, message: 'stopped cleanly' });
    const s = d.seen[0]!;
    expect(s.method).toBe('POST');
    expect(s.url).toBe('/v1/stop');
    expect(s.headers['content-type']).toBe('application/json');
    expect(s.headers['content-length']).toBe(String(Buffer.byteLength(s.body)));
    expect(JSON.parse(s.body)).toEqual({ timeoutSeconds: 5 });
  });

  it('drops keys the API does not know from the answer', async () => {
    const d = await fakeDaemon(json(200, { ...status, fromTheFuture: true }));
    expect(await call(d.path, 'status')).not.toHaveProperty('fromTheFuture');
  });

  it('an API error answer becomes ControlApiError with code, message and hint', async () => {
    const d = await fakeDaemon(json(500, { code: 'start-failed', message: 'QEMU exited at once', hint: 'see berthd.log' }));
    const e = await rejection(call(d.path, 'start'));
    expect(e).toBeInstanceOf(ControlApiError);
    expect(e).toMatchObject({ code: 'start-failed', message: 'QEMU exited at once', hint: 'see berthd.log' });
  });

  it('a non-200 answer that is not an API error says the status', async () => {
    const d = await fakeDaemon(json(502, { oops: true }));
    const e = await rejection(call(d.path, 'status'));
    expect(e).not.toBeInstanceOf(ControlApiError);
    expect((e as Error).message).toBe('berthd answered 502');
  });

  it('an answer that is not JSON is rejected, naming the status', async () => {
    const d = await fakeDaemon(json(200, '<html>proxy error</html>'));
    await expect(call(d.path, 'status')).rejects.toThrow('berthd answered 200 with something that is not JSON');
    const e = await fakeDaemon(json(500, ''));
    await expect(call(e.path, 'status')).rejects.toThrow('berthd answered 500 with something that is not JSON');
  });

  it('a 200 answer that does not match the route schema is rejected', async () => {
    const d = await fakeDaemon(json(200, { ...status, berthdPid: 'seventy-seven' }));
    await expect(call(d.path, 'status')).rejects.toThrow(/^berthd's answer to \/v1\/status does not match the API: /);
    const s = await fakeDaemon(json(200, { graceful: 'yes' }));
    await expect(call(s.path, 'stop', {})).rejects.toThrow(/answer to \/v1\/stop does not match the API/);
  });

  it('a missing socket (ENOENT) is DaemonUnreachable', async () => {
    const e = await rejection(call(sockets.path('nobody-here'), 'status'));
    expect(e).toBeInstanceOf(DaemonUnreachable);
  });

  it('a stale socket nobody listens on (ECONNREFUSED) is DaemonUnreachable', async () => {
    const path = sockets.path('stale');
    const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('ready'))`], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    await new Promise((r) => child.stdout.once('data', r));
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
    const e = await rejection(call(path, 'status'));
    expect(e).toBeInstanceOf(DaemonUnreachable);
    expect((e as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('a daemon that does not answer in time is an error naming the route', async () => {
    const d = await fakeDaemon(() => {
      /* never answers */
    });
    const e = await rejection(call(d.path, 'status', {}, 100));
    expect(e).not.toBeInstanceOf(DaemonUnreachable);
    expect((e as Error).message).toBe('berthd did not answer /v1/status in time');
  });
});

describe('followEvents', () => {
  const a: ApiEvent = { type: 'state', vm: { state: 'starting', phase: 'booting', progress: 0.25, since: 1 } };
  const b: ApiEvent = { type: 'log', source: 'console', line: 'Démarrage ✓ — ünïcödé' };
  const c: ApiEvent = { type: 'state', vm: { state: 'running', degraded: [], since: 2 } };
  const frame = (e: ApiEvent): string => `event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`;

  /** A fake event stream that writes `bytes` in the given pieces, a tick apart, and stays open. */
  async function sse(bytes: Buffer, cuts: number[]): Promise<string> {
    const d = await fakeDaemon((res, seen) => {
      expect(seen.url).toBe('/v1/events');
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      const at = [0, ...cuts, bytes.length];
      let i = 0;
      const next = (): void => {
        if (i + 1 >= at.length) return;
        res.write(bytes.subarray(at[i], at[i + 1]));
        i++;
        setTimeout(next, 2);
      };
      next();
    });
    return d.path;
  }

  async function collect(path: string, count: number): Promise<ApiEvent[]> {
    const got: ApiEvent[] = [];
    let stop = (): void => {};
    await new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`only ${got.length} of ${count} events: ${JSON.stringify(got)}`)), 3000);
      stop = followEvents(path, (e) => {
        got.push(e);
        if (got.length === count) {
          clearTimeout(t);
          resolve();
        }
      });
    });
    stop();
    return got;
  }

  it('parses whole frames', async () => {
    const bytes = Buffer.from(`: berthd events\n\n${frame(a)}${frame(b)}${frame(c)}`);
    expect(await collect(await sse(bytes, []), 3)).toEqual([a, b, c]);
  });

  it('parses frames split across chunks anywhere, even inside a UTF-8 character', async () => {
    const text = `: berthd events\n\n${frame(a)}${frame(b)}${frame(c)}`;
    const bytes = Buffer.from(text);
    // Split between the two newlines ending a frame, inside "data: ", and inside the multibyte "é".
    const endOfA = Buffer.byteLength(`: berthd events\n\n${frame(a)}`) - 1;
    const insideData = Buffer.byteLength(`: berthd events\n\n${frame(a)}event: log\nda`);
    const insideE = bytes.indexOf(Buffer.from('é')) + 1;
    expect(await collect(await sse(bytes, [5, endOfA, insideData, insideE, bytes.length - 1]), 3)).toEqual([a, b, c]);
    // And byte by byte.
    expect(await collect(await sse(Buffer.from(frame(b) + frame(a)), Array.from({ length: 40 }, (_, i) => i + 1)), 2)).toEqual([b, a]);
  });

  it('skips comments, keep-alives, events it does not know, and data that is not JSON', async () => {
    const unknown = `event: future\ndata: ${JSON.stringify({ type: 'future', x: 1 })}\n\n`;
    const bytes = Buffer.from(`: keep-alive\n\n${unknown}event: log\ndata: {not json\n\n${frame(a)}: keep-alive\n\n${frame(c)}`);
    expect(await collect(await sse(bytes, [12, 40]), 2)).toEqual([a, c]);
  });

  it('the returned function stops following: no events after it', async () => {
    let write: ((s: string) => void) | undefined;
    const d = await fakeDaemon((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      write = (s) => res.write(s);
      res.write(frame(a));
    });
    const got: ApiEvent[] = [];
    const stop = followEvents(d.path, (e) => got.push(e));
    const deadline = Date.now() + 2000;
    while (got.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    expect(got).toEqual([a]);
    stop();
    await new Promise((r) => setTimeout(r, 20));
    write?.(frame(c));
    await new Promise((r) => setTimeout(r, 50));
    expect(got).toEqual([a]);
  });

  it('an unreachable daemon is not an uncaught error', async () => {
    const stop = followEvents(sockets.path('nobody'), () => {});
    await new Promise((r) => setTimeout(r, 50));
    stop();
  });

  it('onEnd: once when the stream ends or never starts, never after stop()', async () => {
    const ends: (Error | undefined)[] = [];
    followEvents(sockets.path('nobody'), () => {}, (e) => ends.push(e));
    const finishers: (() => void)[] = [];
    const d = await fakeDaemon((res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(frame(a));
      finishers.push(() => res.end());
    });
    const got: ApiEvent[] = [];
    followEvents(d.path, (e) => got.push(e), (e) => ends.push(e));
    const stopped = followEvents(d.path, () => {}, () => ends.push(new Error('called after stop')));
    const deadline = Date.now() + 2000;
    while ((got.length === 0 || ends.length === 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    stopped();
    for (const f of finishers) f();
    while (ends.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    await new Promise((r) => setTimeout(r, 30));
    expect(got).toEqual([a]);
    expect(ends).toHaveLength(2);
    expect(ends[0]).toMatchObject({ code: 'ENOENT' });
    expect(ends[1]).toBeUndefined();
  });
});
