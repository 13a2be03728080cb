// Owns: tests of imagePullStream.ts — progress mapping (fixtures/pull-progress.jsonl is written in the
// format of Docker's jsonmessage: no registry is reachable here to record one), failures recorded from a
// real VM (fixtures/pull.json), and the whole call through dockerode against a fake Docker server.
import { readFileSync } from 'node:fs';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { PullProgress } from '../../api/docker.ts';
import { pullProgressSchema } from '../../api/docker.ts';
import { HttpError, type StreamContext } from '../control/controlServer.ts';
import type { DockerResources } from './dockerResources.ts';
import { startFakeDocker, type FakeDockerServer } from './fakeDockerServer.ts';
import { pullFailure, pullProgressItem, streamImagePull, type DockerPullMessage } from './imagePullStream.ts';

const progressLines = readFileSync(new URL('./fixtures/pull-progress.jsonl', import.meta.url), 'utf8').trim().split('\n');
const recordedFailures = JSON.parse(readFileSync(new URL('./fixtures/pull.json', import.meta.url), 'utf8')) as Record<string, { statusCode: number; message: string }>;

describe('pullProgressItem', () => {
  const items = progressLines.map((l) => pullProgressItem(JSON.parse(l) as DockerPullMessage));

  it('maps every message to an item the API accepts', () => {
    for (const item of items) expect(pullProgressSchema.parse(item)).toEqual(item);
  });

  it('the layer id, status and byte counts of a download', () => {
    expect(items[4]).toEqual({ layer: '3f4d90098f5b', status: 'Downloading', current: 36864, total: 2152262 });
    expect(items[8]).toEqual({ layer: '3f4d90098f5b', status: 'Extracting', current: 32768, total: 2152262 });
    expect(items[9]).toEqual({ layer: '3f4d90098f5b', status: 'Pull complete' });
    expect(items[10]).toEqual({ layer: 'a8ef1d4dbf2c', status: 'Already exists' });
  });

  it('messages about the whole pull have no layer ("Pulling from" carries the tag as its id)', () => {
    expect(items[0]).toEqual({ status: 'Pulling from library/busybox (1.36)' });
    expect(items[11]).toEqual({ status: 'Digest: sha256:6d9ac9237a84afe1516540f40a0fafdc86859b2141954b4d643af7066d598b74' });
    expect(items[12]).toEqual({ status: 'Status: Downloaded newer image for busybox:1.36' });
  });

  it('a message without a status gives no item; a zero total is left out', () => {
    expect(pullProgressItem({ error: 'x' })).toBeUndefined();
    expect(pullProgressItem({ status: 'Downloading', id: 'l', progressDetail: { current: 5, total: 0 } })).toEqual({ layer: 'l', status: 'Downloading', current: 5 });
  });
});

describe('pullFailure (messages recorded from a VM without a registry)', () => {
  it('an unreachable registry: the message says what failed, the hint says to check the network and proxy', () => {
    for (const [ref, r] of Object.entries(recordedFailures)) {
      const docker = r.message.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim();
      const e = pullFailure(ref, docker);
      expect(e.body.code).toBe('pull-failed');
      expect(e.body.message).toBe(`pulling ${ref} failed: ${docker}`);
      expect(e.body.hint).toMatch(/check the network and the proxy settings/);
    }
  });

  it('a name the registry does not know: the hint says to check the name', () => {
    const e = pullFailure('nosuch/image:1', 'pull access denied for nosuch/image, repository does not exist or may require \'docker login\'');
    expect(e.body.hint).toMatch(/^check the image name and tag/);
  });
});

function collect(): { ctx: StreamContext<PullProgress>; items: PullProgress[]; abort: AbortController } {
  const items: PullProgress[] = [];
  const abort = new AbortController();
  return { items, abort, ctx: { emit: (i) => (items.push(i), true), drained: async () => undefined, signal: abort.signal } };
}

describe('streamImagePull through dockerode (fake Docker server)', () => {
  let fake: FakeDockerServer;
  let docker: DockerResources;
  beforeEach(async () => ({ fake, docker } = await startFakeDocker()));
  afterEach(() => fake.close());

  it('emits one item per progress message, split across chunks anywhere', async () => {
    const body = `${progressLines.join('\r\n')}\r\n`;
    fake.on('POST', '/images/create', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      for (let i = 0; i < body.length; i += 37) res.write(body.slice(i, i + 37));
      res.end();
    });
    const { ctx, items } = collect();
    await streamImagePull(docker.docker, 'busybox:1.36', ctx);
    expect(items).toHaveLength(progressLines.length);
    expect(items[4]).toEqual({ layer: '3f4d90098f5b', status: 'Downloading', current: 36864, total: 2152262 });
    const q = fake.requests.find((r) => r.path === '/images/create')!.query;
    expect([q.get('fromImage'), q.get('tag')]).toEqual(['busybox', '1.36']);
  });

  it('an error message in the stream ends the call with pull-failed', async () => {
    fake.on('POST', '/images/create', (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${progressLines[0]}\n`);
      res.end('{"errorDetail":{"message":"Get \\"https://registry-1.docker.io/v2/\\": net/http: TLS handshake timeout"},"error":"Get \\"https://registry-1.docker.io/v2/\\": net/http: TLS handshake timeout"}\n');
    });
    const { ctx, items } = collect();
    const e = await streamImagePull(docker.docker, 'busybox', ctx).catch((x: unknown) => x);
    expect(e).toBeInstanceOf(HttpError);
    expect((e as HttpError).body.message).toBe('pulling busybox failed: Get "https://registry-1.docker.io/v2/": net/http: TLS handshake timeout');
    expect((e as HttpError).body.hint).toMatch(/proxy/);
    expect(items).toHaveLength(1);
  });

  it("Docker's 500 before any progress (as recorded: no such host) is pull-failed too", async () => {
    fake.on('POST', '/images/create', { status: 500, json: { message: 'Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: no such host' } });
    const e = (await streamImagePull(docker.docker, 'busybox:latest', collect().ctx).catch((x: unknown) => x)) as HttpError;
    expect(e.body).toEqual({
      code: 'pull-failed',
      message: 'pulling busybox:latest failed: Get "https://registry-1.docker.io/v2/": dial tcp: lookup registry-1.docker.io on 10.0.2.3:53: no such host',
      hint: 'the VM could not reach the registry: check the network and the proxy settings (Settings → Docker Engine → proxy), then pull again',
    });
  });

  it('cancelling drops the connection to Docker (which stops its pull) and resolves', async () => {
    let closed!: () => void;
    const dockerSawClose = new Promise<void>((r) => (closed = r));
    fake.on('POST', '/images/create', (req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write(`${progressLines[0]}\n`);
      res.on('close', () => closed());
    });
    const { ctx, items, abort } = collect();
    const pulling = streamImagePull(docker.docker, 'busybox', ctx);
    while (items.length === 0) await new Promise((r) => setTimeout(r, 5));
    abort.abort();
    await pulling;
    await dockerSawClose;
  });
});
