// Owns: tests of containerLogStream.ts through dockerode against a fake Docker server: framed and TTY
// logs as lines, the follow/tail/timestamps query, pausing while the client is behind, cancel, 404.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { LogLine } from '../../api/docker.ts';
import { HttpError, type StreamContext } from '../control/controlServer.ts';
import { streamContainerLogs } from './containerLogStream.ts';
import type { DockerResources } from './dockerResources.ts';
import { startFakeDocker, type FakeDockerServer } from './fakeDockerServer.ts';

const recorded = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));
const errors = JSON.parse(readFileSync(new URL('./fixtures/errors.json', import.meta.url), 'utf8')) as Record<string, { json: unknown }>;

let fake: FakeDockerServer;
let docker: DockerResources;
beforeEach(async () => ({ fake, docker } = await startFakeDocker()));
afterEach(() => fake.close());

function collect(opts: { behindEvery?: number } = {}): { ctx: StreamContext<LogLine>; lines: LogLine[]; abort: AbortController; drains: () => number } {
  const lines: LogLine[] = [];
  const abort = new AbortController();
  let drains = 0;
  return {
    lines,
    abort,
    drains: () => drains,
    ctx: {
      emit: (l) => (lines.push(l), !opts.behindEvery || lines.length % opts.behindEvery !== 0),
      drained: () => new Promise((r) => setTimeout(() => (drains++, r()), 5)),
      signal: abort.signal,
    },
  };
}

function container(name: string, tty: boolean, logs: (res: import('node:http').ServerResponse) => void): void {
  fake.on('GET', `/containers/${name}/json`, { json: { Id: name, Config: { Tty: tty } } });
  fake.on('GET', `/containers/${name}/logs`, (_req, res) => {
    res.writeHead(200, { 'content-type': tty ? 'application/vnd.docker.raw-stream' : 'application/vnd.docker.multiplexed-stream' });
    logs(res);
  });
}

describe('streamContainerLogs', () => {
  it('a non-TTY container: recorded framed bytes, cut mid-frame, become stdout and stderr lines', async () => {
    const bytes = recorded('logs-done.bin');
    container('done', false, (res) => {
      res.write(bytes.subarray(0, 5));
      res.write(bytes.subarray(5, 13));
      res.end(bytes.subarray(13));
    });
    const { ctx, lines } = collect();
    await streamContainerLogs(docker.docker, { id: 'done', follow: false, tail: 20, timestamps: true }, ctx);
    expect(lines).toEqual([
      { stream: 'stdout', line: 'out' },
      { stream: 'stderr', line: 'err' },
    ]);
    const q = fake.requests.find((r) => r.path === '/containers/done/logs')!.query;
    expect(Object.fromEntries(q)).toMatchObject({ stdout: 'true', stderr: 'true', tail: '20', timestamps: 'true', follow: 'false' });
  });

  it('a TTY container is read raw (recorded CRLF output)', async () => {
    container('tty', true, (res) => res.end(recorded('logs-tty.bin')));
    const { ctx, lines } = collect();
    await streamContainerLogs(docker.docker, { id: 'tty', follow: true, tail: 500, timestamps: false }, ctx);
    expect(lines).toEqual([{ stream: 'stdout', line: 'tty-line' }]);
  });

  it('follow: lines arrive as Docker writes them; cancelling closes the connection to Docker', async () => {
    let write!: (b: Buffer) => void;
    let closed!: () => void;
    const dockerSawClose = new Promise<void>((r) => (closed = r));
    container('web', false, (res) => {
      res.flushHeaders();
      write = (b) => res.write(b);
      res.on('close', () => closed());
    });
    const { ctx, lines, abort } = collect();
    const following = streamContainerLogs(docker.docker, { id: 'web', follow: true, tail: 0, timestamps: false }, ctx);
    while (!write) await new Promise((r) => setTimeout(r, 5));
    const frame = (s: string): Buffer => Buffer.concat([Buffer.from([1, 0, 0, 0, 0, 0, 0, s.length]), Buffer.from(s)]);
    write(frame('first\n'));
    while (lines.length < 1) await new Promise((r) => setTimeout(r, 5));
    write(frame('second\n'));
    while (lines.length < 2) await new Promise((r) => setTimeout(r, 5));
    expect(lines.map((l) => l.line)).toEqual(['first', 'second']);
    abort.abort();
    await following;
    await dockerSawClose;
  });

  it('pauses reading while the client is behind, and loses nothing', async () => {
    const many = Array.from({ length: 300 }, (_, i) => `line ${i}\n`).join('');
    container('chatty', true, (res) => {
      for (let i = 0; i < many.length; i += 100) res.write(many.slice(i, i + 100));
      res.end();
    });
    const c = collect({ behindEvery: 50 });
    await streamContainerLogs(docker.docker, { id: 'chatty', follow: true, tail: 500, timestamps: false }, c.ctx);
    expect(c.lines.map((l) => l.line)).toEqual(Array.from({ length: 300 }, (_, i) => `line ${i}`));
    expect(c.drains()).toBeGreaterThan(0);
  });

  it('a missing container is 404 not-found (recorded answer)', async () => {
    fake.on('GET', '/containers/nope/json', { status: 404, json: errors.inspectMissing!.json });
    const e = (await streamContainerLogs(docker.docker, { id: 'nope', follow: true, tail: 10, timestamps: false }, collect().ctx).catch((x: unknown) => x)) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect([e.status, e.body.message]).toEqual([404, 'there is no container nope']);
  });
});
