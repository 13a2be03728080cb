// Owns: tests of dockerPortWatcher.ts with a fake dockerode (events written into a PassThrough):
// re-list after a container event, the periodic re-list, reconnecting after the stream fails, stop().
import { PassThrough } from 'node:stream';
import Docker from 'dockerode';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerPortWatcher, jsonLines, type DockerLike } from './dockerPortWatcher.ts';
import type { DesiredForward, ListedContainer } from './publishedPorts.ts';

function fakeDocker() {
  const streams: PassThrough[] = [];
  const eventOptions: unknown[] = [];
  let containers: ListedContainer[] = [];
  let failEvents = 0;
  let lists = 0;
  const docker: DockerLike = {
    getEvents: async (opts) => {
      eventOptions.push(opts);
      if (failEvents > 0) {
        failEvents--;
        throw new Error('connect ECONNREFUSED docker.sock');
      }
      const s = new PassThrough();
      streams.push(s);
      return s;
    },
    listContainers: async () => {
      lists++;
      return containers;
    },
  };
  return {
    docker,
    streams,
    eventOptions,
    set: (c: ListedContainer[]) => (containers = c),
    failNextEvents: (n: number) => (failEvents = n),
    lists: () => lists,
  };
}

const web = (port: number, state = 'running'): ListedContainer => ({ Id: `id${port}`, Names: [`/web${port}`], State: state, Ports: [{ IP: '0.0.0.0', PrivatePort: 80, PublicPort: port, Type: 'tcp' }] });
const ports = (d: DesiredForward[] | undefined) => (d ?? []).map((f) => `${f.hostAddress}:${f.hostPort}`);

const watchers: DockerPortWatcher[] = [];
afterEach(() => {
  for (const w of watchers.splice(0)) w.stop();
});

function harness(opts: { relistMs?: number; bind?: () => '127.0.0.1' | '0.0.0.0' } = {}) {
  const fake = fakeDocker();
  const calls: DesiredForward[][] = [];
  const logs: string[] = [];
  let made = 0;
  const w = new DockerPortWatcher(
    {
      docker: () => (made++, fake.docker),
      forwarder: { reconcile: async (d) => void calls.push(d) },
      bindAddress: opts.bind ?? (() => '127.0.0.1'),
      ipv6Loopback: false,
      log: (m) => logs.push(m),
    },
    { debounceMs: 30, relistMs: opts.relistMs ?? 60_000, minBackoffMs: 20, maxBackoffMs: 100 },
  );
  watchers.push(w);
  return { w, fake, calls, logs, made: () => made, last: () => ports(calls.at(-1)) };
}

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('DockerPortWatcher', () => {
  it('a real dockerode instance fits DockerLike', () => {
    const d: DockerLike = new Docker({ socketPath: '/nonexistent/docker.sock' });
    expect(typeof d.getEvents).toBe('function');
  });

  it('lists at start, asks only for container events, and re-lists within ~100 ms of a start event', async () => {
    const h = harness();
    h.fake.set([web(8080)]);
    h.w.start();
    await until(() => h.calls.length === 1);
    expect(h.last()).toEqual(['127.0.0.1:8080']);
    expect(h.fake.eventOptions[0]).toMatchObject({ filters: { type: ['container'] } });
    h.fake.set([web(8080), web(9090)]);
    // One event split across chunks, then a burst: one re-list.
    const ev = JSON.stringify({ Type: 'container', Action: 'start', Actor: { ID: 'id9090' } });
    const t0 = Date.now();
    h.fake.streams[0]!.write(ev.slice(0, 10));
    h.fake.streams[0]!.write(`${ev.slice(10)}\n${ev}\n${ev}\n`);
    await until(() => h.calls.length === 2);
    expect(Date.now() - t0).toBeLessThan(200);
    expect(h.last()).toEqual(['127.0.0.1:8080', '127.0.0.1:9090']);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.calls).toHaveLength(2);
  });

  it('ignores events that do not change ports', async () => {
    const h = harness();
    h.w.start();
    await until(() => h.calls.length === 1);
    h.fake.streams[0]!.write(`${JSON.stringify({ Type: 'container', Action: 'exec_start: sh' })}\n${JSON.stringify({ Type: 'container', Action: 'attach' })}\nnot json\n`);
    await new Promise((r) => setTimeout(r, 100));
    expect(h.calls).toHaveLength(1);
    h.fake.streams[0]!.write(`${JSON.stringify({ Type: 'container', Action: 'die' })}\n`);
    await until(() => h.calls.length === 2);
  });

  it('re-lists periodically without events', async () => {
    const h = harness({ relistMs: 80 });
    h.w.start();
    await until(() => h.calls.length >= 1);
    expect(h.last()).toEqual([]);
    h.fake.set([web(3000)]);
    await until(() => h.last().includes('127.0.0.1:3000'), 500);
    h.fake.set([web(3000, 'exited')]);
    await until(() => h.last().length === 0, 500);
  });

  it('reconnects after the events stream fails or ends, re-listing each time', async () => {
    const h = harness();
    h.w.start();
    await until(() => h.calls.length === 1);
    h.fake.set([web(8443)]);
    h.fake.failNextEvents(2);
    h.fake.streams[0]!.destroy(new Error('socket hang up'));
    await until(() => h.last().includes('127.0.0.1:8443'));
    await until(() => h.fake.streams.length === 2, 2000);
    expect(h.fake.eventOptions).toHaveLength(4); // the first, two refused, the one that worked
    expect(h.logs.some((l) => l.includes('socket hang up'))).toBe(true);
    expect(h.logs.filter((l) => l.includes('ECONNREFUSED'))).toHaveLength(1);
    // The new stream is followed.
    h.fake.set([web(8443), web(8444)]);
    const n = h.calls.length;
    h.fake.streams[1]!.write(`${JSON.stringify({ Type: 'container', Action: 'start' })}\n`);
    await until(() => h.calls.length > n && h.last().includes('127.0.0.1:8444'));
    // A stream that simply ends is followed again too.
    h.fake.streams[1]!.end();
    await until(() => h.fake.streams.length === 3);
    expect(h.made()).toBeGreaterThanOrEqual(5);
  });

  it('lists at start even when the events stream is refused', async () => {
    const h = harness();
    h.fake.set([web(7000)]);
    h.fake.failNextEvents(1);
    h.w.start();
    await until(() => h.calls.length >= 1);
    expect(h.last()).toEqual(['127.0.0.1:7000']);
    await until(() => h.fake.streams.length === 1);
  });

  it('refresh() re-lists with the current bindAddress', async () => {
    let bind: '127.0.0.1' | '0.0.0.0' = '127.0.0.1';
    const h = harness({ bind: () => bind });
    h.fake.set([web(8080)]);
    h.w.start();
    await until(() => h.calls.length === 1);
    bind = '0.0.0.0';
    await h.w.refresh();
    expect(h.last()).toEqual(['0.0.0.0:8080']);
  });

  it('stop() ends the stream and the timers', async () => {
    const h = harness({ relistMs: 30 });
    h.w.start();
    await until(() => h.calls.length >= 1);
    h.w.stop();
    expect(h.fake.streams[0]!.destroyed).toBe(true);
    const n = h.calls.length;
    await new Promise((r) => setTimeout(r, 150));
    expect(h.calls.length).toBe(n);
    expect(h.fake.eventOptions).toHaveLength(1);
  });

  it('keeps the forwards when Docker cannot be listed, saying so once', async () => {
    const h = harness({ relistMs: 20 });
    h.fake.docker.listContainers = async () => {
      throw new Error('connect ENOENT docker.sock');
    };
    h.w.start();
    await new Promise((r) => setTimeout(r, 120));
    expect(h.calls).toHaveLength(0);
    expect(h.logs.filter((l) => l.includes('cannot list containers'))).toHaveLength(1);
  });
});

describe('jsonLines', () => {
  it('splits objects across chunks and skips junk', () => {
    const got: unknown[] = [];
    const feed = jsonLines((o) => got.push(o));
    feed('{"a":');
    feed('1}\n{"b":2}\ngarbage\n{"c"');
    feed(Buffer.from(':3}\n'));
    expect(got).toEqual([{ a: 1 }, { b: 2 }, { c: 3 }]);
  });
});
