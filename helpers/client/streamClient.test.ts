// Owns: tests of streamClient.ts against small fake berthd servers on temp unix sockets: items then end,
// error frames, frames split anywhere, bad items skipped, JSON refusals, a cut stream, cancel, no daemon.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { describe, expect, it } from 'vitest';
import type { ApiError } from '../api/controlApi.ts';
import type { LogLine, PullProgress } from '../api/docker.ts';
import { ControlApiError } from './controlClient.ts';
import { openStream, runStream, SseFrames } from './streamClient.ts';
import { useUnixSockets } from './unixSocketFixture.ts';

const sockets = useUnixSockets('berth-sc-');

type Seen = { method: string; url: string; body: string; closed: Promise<void> };

async function fakeDaemon(answer: (res: ServerResponse, req: IncomingMessage) => void): Promise<{ path: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const path = await sockets.serveHttp((req, res, body) => {
    seen.push({ method: req.method ?? '', url: req.url ?? '', body, closed: new Promise((r) => res.on('close', () => r())) });
    answer(res, req);
  });
  return { path, seen };
}

const sseHead = (res: ServerResponse): void => void res.writeHead(200, { 'content-type': 'text/event-stream' });
const frame = (event: string, data: unknown): string => `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;

function collect<T>(): { items: T[]; ended: Promise<ApiError | undefined>; handlers: { item: (i: T) => void; end: (e?: ApiError) => void } } {
  const items: T[] = [];
  let done!: (e: ApiError | undefined) => void;
  const ended = new Promise<ApiError | undefined>((r) => (done = r));
  return { items, ended, handlers: { item: (i) => items.push(i), end: (e) => done(e) } };
}

describe('SseFrames', () => {
  it('frames split at every offset give the same events; CRLF, comments and multi-line data', () => {
    const text = ': hello\r\n\r\nevent: item\r\ndata: {"a":1}\r\n\r\nevent: end\ndata: {}\n\ndata: one\ndata: two\n\n';
    const want = [
      { event: 'item', data: '{"a":1}' },
      { event: 'end', data: '{}' },
      { event: 'message', data: 'one\ntwo' },
    ];
    for (let i = 0; i <= text.length; i++) {
      const f = new SseFrames();
      expect([...f.push(text.slice(0, i)), ...f.push(text.slice(i))], `cut at ${i}`).toEqual(want);
    }
  });
});

describe('openStream', () => {
  it('POSTs the body to the stream path, hands on checked items, then ends', async () => {
    const { path, seen } = await fakeDaemon((res) => {
      sseHead(res);
      res.write(': containerLogs\n\n');
      const text = frame('item', { stream: 'stdout', line: 'one' }) + frame('item', { stream: 'nope', line: 'bad' }) + 'event: item\ndata: {not json\n\n' + frame('item', { stream: 'stderr', line: 'two' }) + frame('end', {});
      for (let i = 0; i < text.length; i += 7) res.write(text.slice(i, i + 7));
      res.end();
    });
    const c = collect<LogLine>();
    openStream(path, 'containerLogs', { id: 'web', tail: 5 }, c.handlers);
    expect(await c.ended).toBeUndefined();
    expect(c.items).toEqual([
      { stream: 'stdout', line: 'one' },
      { stream: 'stderr', line: 'two' },
    ]);
    expect(seen[0]).toMatchObject({ method: 'POST', url: '/v1/containers/logs', body: '{"id":"web","tail":5}' });
  });

  it('an `error` frame ends it with that ApiError', async () => {
    const err = { code: 'pull-failed', message: 'pulling busybox failed: no such host', hint: 'check the network and the proxy settings' };
    const { path } = await fakeDaemon((res) => {
      sseHead(res);
      res.end(frame('item', { status: 'Pulling from library/busybox' }) + frame('error', err));
    });
    const c = collect<PullProgress>();
    openStream(path, 'imagePull', { ref: 'busybox' }, c.handlers);
    expect(await c.ended).toEqual(err);
    expect(c.items).toEqual([{ status: 'Pulling from library/busybox' }]);
  });

  it('a JSON refusal (bad request) ends it with berthd\'s error', async () => {
    const err = { code: 'invalid-request', message: 'ref: an image id or reference', hint: 'check the request against the control API schema' };
    const { path } = await fakeDaemon((res) => {
      res.writeHead(400, { 'content-type': 'application/json' });
      res.end(JSON.stringify(err));
    });
    const c = collect<PullProgress>();
    openStream(path, 'imagePull', { ref: '-x' }, c.handlers);
    expect(await c.ended).toEqual(err);
  });

  it('a stream that stops without end or error is reported as cut', async () => {
    const { path } = await fakeDaemon((res) => {
      sseHead(res);
      res.end(frame('item', { stream: 'stdout', line: 'one' }));
    });
    const c = collect<LogLine>();
    openStream(path, 'containerLogs', { id: 'web' }, c.handlers);
    expect((await c.ended)?.code).toBe('stream-cut');
    expect(c.items).toHaveLength(1);
  });

  it('cancelling closes the connection (berthd sees it) and calls no end', async () => {
    const { path, seen } = await fakeDaemon((res) => {
      sseHead(res);
      res.write(frame('item', { stream: 'stdout', line: 'one' }));
    });
    let endCalls = 0;
    const items: LogLine[] = [];
    const cancel = openStream(path, 'containerLogs', { id: 'web' }, { item: (i) => items.push(i), end: () => endCalls++ });
    while (items.length === 0) await new Promise((r) => setTimeout(r, 5));
    cancel();
    await seen[0]!.closed;
    await new Promise((r) => setTimeout(r, 20));
    expect(endCalls).toBe(0);
  });

  it('no berthd: daemon-unreachable, saying to start it', async () => {
    const c = collect<LogLine>();
    openStream(sockets.path('absent'), 'containerLogs', { id: 'web' }, c.handlers);
    expect(await c.ended).toMatchObject({ code: 'daemon-unreachable', hint: 'start it with `berth start`' });
  });
});

describe('runStream', () => {
  it('resolves at end, rejects with ControlApiError at error, resolves when aborted', async () => {
    const { path } = await fakeDaemon((res, req) => {
      sseHead(res);
      if (req.url === '/v1/images/pull') return void res.end(frame('error', { code: 'pull-failed', message: 'pulling x failed', hint: 'check the network' }));
      res.end(frame('item', { stream: 'stdout', line: 'a' }) + frame('end', {}));
    });
    const lines: LogLine[] = [];
    await runStream(path, 'containerLogs', { id: 'web', follow: false }, (l) => lines.push(l));
    expect(lines).toEqual([{ stream: 'stdout', line: 'a' }]);
    const e = await runStream(path, 'imagePull', { ref: 'x' }, () => undefined).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(ControlApiError);
    expect((e as ControlApiError).code).toBe('pull-failed');
    const ac = new AbortController();
    ac.abort();
    await runStream(path, 'containerLogs', { id: 'web' }, () => undefined, ac.signal);
  });
});
