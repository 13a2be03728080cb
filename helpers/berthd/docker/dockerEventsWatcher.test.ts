// Owns: tests of dockerEventsWatcher.ts with real dockerode against a fake Docker HTTP server on a unix
// socket: which lists an event touches (recorded events), the debounce, reconnecting, stop, current().
import { readFileSync } from 'node:fs';
import Docker from 'dockerode';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../api/controlApi.ts';
import { DockerEventsWatcher, isContainerStopping, kindsForEvent, type ResourceKind } from './dockerEventsWatcher.ts';
import { FakeDockerServer } from './fakeDockerServer.ts';

const recordedEvents = readFileSync(new URL('./fixtures/events.jsonl', import.meta.url), 'utf8')
  .trim()
  .split('\n')
  .map((l) => JSON.parse(l) as { Type: string; Action: string });

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('kindsForEvent (events recorded from `docker run`, rm, volume and image commands)', () => {
  const kinds = (type: string, action: string): ResourceKind[] => kindsForEvent(recordedEvents.find((e) => e.Type === type && e.Action === action)!);

  it('container lifecycle events re-list containers; create and destroy also images and volumes', () => {
    expect(kinds('container', 'start')).toEqual(['containers']);
    expect(kinds('container', 'die')).toEqual(['containers']);
    expect(kinds('container', 'stop')).toEqual(['containers']);
    expect(kinds('container', 'kill')).toEqual(['containers']);
    expect(kinds('container', 'create')).toEqual(['containers', 'images', 'volumes']);
    expect(kinds('container', 'destroy')).toEqual(['containers', 'images', 'volumes']);
    expect(kinds('container', 'commit')).toEqual(['containers', 'images']);
  });

  it('image and volume events re-list their kind; attach, exec and network events nothing', () => {
    for (const a of ['tag', 'untag', 'delete']) expect(kinds('image', a)).toEqual(['images']);
    for (const a of ['create', 'destroy', 'mount', 'unmount']) expect(kinds('volume', a)).toEqual(['volumes']);
    expect(kinds('container', 'attach')).toEqual([]);
    expect(kinds('network', 'connect')).toEqual([]);
    expect(kindsForEvent({ Type: 'container', Action: 'exec_start: sh -c true' })).toEqual([]);
    expect(kindsForEvent({ Type: 'container', Action: 'health_status: healthy' })).toEqual(['containers']);
  });
});

describe('DockerEventsWatcher (fake Docker server)', () => {
  let fake: FakeDockerServer;
  let published: ApiEvent[];
  let logs: string[];
  let watcher: DockerEventsWatcher;
  let containers: { id: string; state?: string }[];
  let lists: Record<ResourceKind, number>;

  beforeEach(async () => {
    fake = new FakeDockerServer();
    await fake.listen();
    published = [];
    logs = [];
    containers = [{ id: 'a' }];
    lists = { containers: 0, images: 0, volumes: 0 };
    const docker = new Docker({ socketPath: fake.socketPath });
    const list = <K extends ResourceKind>(kind: K, value: () => unknown) => async () => {
      lists[kind]++;
      return value() as never;
    };
    watcher = new DockerEventsWatcher(
      {
        docker: () => docker,
        list: { containers: list('containers', () => containers), images: list('images', () => []), volumes: list('volumes', () => []) },
        publish: (e) => published.push(e),
        log: (m) => logs.push(m),
      },
      { debounceMs: 40, minBackoffMs: 20, maxBackoffMs: 200, relistMs: 60_000, settleMs: [150, 400] },
    );
  });
  afterEach(async () => {
    watcher.stop();
    await fake.close();
  });

  const ofType = (t: ApiEvent['type']): ApiEvent[] => published.filter((e) => e.type === t);

  it('follows container, image and volume events, and lists each kind once at start', async () => {
    watcher.start();
    await until(() => fake.eventStreams.length === 1 && published.length === 3, 'the first lists');
    const filters = JSON.parse(fake.requests.find((r) => r.path === '/events')!.query.get('filters')!) as { type: string[] };
    expect(filters.type).toEqual(['container', 'image', 'volume']);
    expect(published.map((e) => e.type).sort()).toEqual(['containers', 'images', 'volumes']);
    expect(watcher.current()).toEqual([
      { type: 'containers', containers: [{ id: 'a' }] },
      { type: 'images', images: [] },
      { type: 'volumes', volumes: [] },
    ]);
  });

  it('a burst of events gives one re-list of the kinds they touch, published only when the list changed', async () => {
    watcher.start();
    await until(() => published.length === 3, 'the first lists');
    const before = { ...lists };
    containers = [{ id: 'a' }, { id: 'b' }];
    for (const action of ['create', 'attach', 'start']) fake.sendEvent({ Type: 'container', Action: action, Actor: { ID: 'b' } });
    fake.sendEvent({ Type: 'network', Action: 'connect' });
    await until(() => ofType('containers').length === 2, 'the new container list');
    await sleep(100);
    expect(lists.containers - before.containers).toBe(1);
    // create touched images and volumes too: listed once, but unchanged, so not published again.
    expect(lists.images - before.images).toBe(1);
    expect(lists.volumes - before.volumes).toBe(1);
    expect(ofType('images')).toHaveLength(1);
    expect(ofType('containers')[1]).toEqual({ type: 'containers', containers: [{ id: 'a' }, { id: 'b' }] });
    // An event that changes nothing a list shows starts no listing.
    const after = lists.containers;
    fake.sendEvent({ Type: 'container', Action: 'exec_create: sh' });
    await sleep(100);
    expect(lists.containers).toBe(after);
  });

  it('lists containers again after a die, because Docker marks the container stopped only after the event', async () => {
    watcher.start();
    await until(() => published.length === 3, 'the first lists');
    const running = [{ id: 'a', state: 'running' }];
    containers = running;
    fake.sendEvent({ Type: 'container', Action: 'start', Actor: { ID: 'a' } });
    await until(() => ofType('containers').length === 2, 'the running container');
    // At `die` Docker still lists the container as running (it cleans up first); it flips a moment later.
    fake.sendEvent({ Type: 'container', Action: 'die', Actor: { ID: 'a' } });
    await sleep(80);
    containers = [{ id: 'a', state: 'exited' }];
    await until(() => ofType('containers').length === 3, 'the list after the container settled');
    expect(ofType('containers')[2]).toEqual({ type: 'containers', containers: [{ id: 'a', state: 'exited' }] });
    // Other events do not schedule settle re-lists.
    expect(isContainerStopping({ Type: 'container', Action: 'start' })).toBe(false);
    expect(isContainerStopping({ Type: 'container', Action: 'die' })).toBe(true);
    expect(isContainerStopping({ Type: 'image', Action: 'delete' })).toBe(false);
  });

  it('reconnects when the event stream breaks, re-lists what it may have missed, and follows again', async () => {
    watcher.start();
    await until(() => fake.eventStreams.length === 1 && published.length === 3, 'the first lists');
    fake.breakEvents();
    containers = [];
    await until(() => fake.count('GET', '/events') === 2 && fake.eventStreams.length === 1, 'a second events connection');
    await until(() => ofType('containers').length === 2, 'the re-list after reconnecting');
    expect(logs.some((m) => /Docker's event stream (ended|closed|failed).*following it again/.test(m))).toBe(true);
    containers = [{ id: 'c' }];
    fake.sendEvent({ Type: 'container', Action: 'start' });
    await until(() => ofType('containers').length === 3, 'an event on the new stream');
  });

  it('keeps retrying while Docker refuses the events stream', async () => {
    let refusals = 2;
    fake.on('GET', '/events', (req, res) => {
      if (refusals-- > 0) {
        res.writeHead(500, { 'content-type': 'application/json' });
        return void res.end('{"message":"not yet"}');
      }
      res.writeHead(200, { 'content-type': 'application/json' });
      res.flushHeaders();
      fake.eventStreams.push(res);
    });
    watcher.start();
    await until(() => fake.count('GET', '/events') === 3 && published.length === 3, 'the third attempt to follow');
    expect(logs.filter((m) => m.startsWith("cannot follow Docker's events"))).toHaveLength(1);
  });

  it('stop() closes the events stream, forgets the lists, and a late answer is not published', async () => {
    watcher.start();
    await until(() => fake.eventStreams.length === 1 && published.length === 3, 'the first lists');
    let release!: () => void;
    const slow = new Promise<void>((r) => (release = r));
    const list = (watcher as unknown as { deps: { list: { containers: () => Promise<unknown> } } }).deps.list;
    list.containers = async () => (await slow, [{ id: 'late' }]);
    fake.sendEvent({ Type: 'container', Action: 'die' });
    await sleep(80);
    watcher.stop();
    release();
    await until(() => fake.eventStreams.length === 0, 'the events connection to close');
    await sleep(100);
    expect(watcher.current()).toEqual([]);
    expect(published.some((e) => e.type === 'containers' && JSON.stringify(e).includes('late'))).toBe(false);
    expect(fake.count('GET', '/events')).toBe(1);
  });

  it('starting again after a stop (the VM started again) follows anew', async () => {
    watcher.start();
    await until(() => fake.eventStreams.length === 1, 'the first stream');
    watcher.stop();
    await until(() => fake.eventStreams.length === 0, 'the stream to close');
    watcher.start();
    await until(() => fake.eventStreams.length === 1 && watcher.current().length === 3, 'a second run');
    expect(fake.count('GET', '/events')).toBe(2);
  });
});
