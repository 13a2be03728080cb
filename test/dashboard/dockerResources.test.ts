// Docker's containers, images and volumes through berthd's control API, on one real VM: live `containers`,
// `images`, `volumes` and `stats` events, actions, inspect, followed logs, a failed pull, log tails, and the
// watcher following the VM through a re-adoption (T-27) and a stop.
import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../helpers/api/controlApi.ts';
import type { ContainerSummary, LogLine, VmStats } from '../../helpers/api/docker.ts';
import { call, ControlApiError, followEvents } from '../../helpers/client/controlClient.ts';
import { openStream, runStream } from '../../helpers/client/streamClient.ts';
import { importTestImage, startBerthHarness, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';

let b: Berth;
const figures: Record<string, unknown> = {};

/** Every event berthd sent since `follow()`, with a wait for the next one matching a test. */
class EventLog {
  readonly all: ApiEvent[] = [];
  private readonly waiters: { from: number; test: (e: ApiEvent) => boolean; resolve: (e: ApiEvent) => void }[] = [];
  private stopFollowing: () => void = () => undefined;

  follow(socket: string): void {
    this.stopFollowing = followEvents(socket, (e) => {
      this.all.push(e);
      for (const w of [...this.waiters]) {
        if (w.test(e)) {
          this.waiters.splice(this.waiters.indexOf(w), 1);
          w.resolve(e);
        }
      }
    });
  }

  stop(): void {
    this.stopFollowing();
  }

  /** The position to wait from: only events after it count. */
  mark(): number {
    return this.all.length;
  }

  wait<T extends ApiEvent>(test: (e: ApiEvent) => e is T, what: string, from?: number, ms?: number): Promise<T>;
  wait(test: (e: ApiEvent) => boolean, what: string, from?: number, ms?: number): Promise<ApiEvent>;
  wait(test: (e: ApiEvent) => boolean, what: string, from = 0, ms = 120_000): Promise<ApiEvent> {
    const seen = this.all.slice(from).find(test);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no event within ${ms / 1000} s: ${what}; last events: ${JSON.stringify(this.all.slice(-3)).slice(0, 2000)}`)), ms);
      this.waiters.push({ from, test, resolve: (e) => (clearTimeout(timer), resolve(e)) });
    });
  }
}

const events = new EventLog();
type ContainersEvent = Extract<ApiEvent, { type: 'containers' }>;
const containerIn = (e: ApiEvent, name: string): ContainerSummary | undefined => (e.type === 'containers' ? e.containers.find((c) => c.name === name) : undefined);
const withContainer =
  (name: string, test: (c: ContainerSummary) => boolean = () => true) =>
  (e: ApiEvent): e is ContainersEvent =>
    e.type === 'containers' && e.containers.some((c) => c.name === name && test(c));
const withoutContainer = (name: string) => (e: ApiEvent) => e.type === 'containers' && !e.containers.some((c) => c.name === name);

async function ok(args: string[]): Promise<string> {
  const r = await b.docker(args);
  expect(r.code, `docker ${args.join(' ')}: ${r.stderr}`).toBe(0);
  return r.stdout.trim();
}

async function apiError(p: Promise<unknown>): Promise<ControlApiError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(ControlApiError);
  return e as ControlApiError;
}

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

beforeAll(async () => {
  b = startBerthHarness('dres');
  const r = await b.berth(['start'], { timeoutMs: 400_000 });
  if (r.code !== 0) throw new Error(`berth start failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  await importTestImage(b);
  events.follow(b.paths.controlSocket);
}, 600_000);

afterAll(async () => {
  events.stop();
  console.log(`docker resources figures: ${JSON.stringify(figures)}`);
  await b?.cleanup();
}, 120_000);

describe('containers', () => {
  let port: number;

  it('a busybox httpd run from the docker CLI arrives in a `containers` event, running, with its port', async () => {
    port = await freePort();
    const from = events.mark();
    const t0 = Date.now();
    await ok(['run', '-d', '--name', 'web', '-p', `${port}:80`, TEST_IMAGE, 'httpd', '-f', '-p', '80', '-h', '/tmp']);
    const e = await events.wait(withContainer('web', (c) => c.state === 'running'), 'web running', from);
    figures.runToEventMs = Date.now() - t0;
    const web = containerIn(e, 'web')!;
    expect(web.image).toBe(TEST_IMAGE);
    expect(web.command).toBe('httpd -f -p 80 -h /tmp');
    expect(web.status).toMatch(/^Up /);
    expect(web.ports).toEqual([{ privatePort: 80, publicPort: port, type: 'tcp', ip: '0.0.0.0' }]);
    // The same through the route.
    const listed = await call(b.paths.controlSocket, 'containers');
    expect(listed.containers.find((c) => c.name === 'web')?.id).toBe(web.id);
  });

  it('stop, start and restart through the control API: each state shows in the events', async () => {
    let from = events.mark();
    expect(await call(b.paths.controlSocket, 'containerAction', { id: 'web', action: 'stop' })).toEqual({ message: 'web stopped' });
    const stopped = containerIn(await events.wait(withContainer('web', (c) => c.state === 'exited'), 'web exited', from), 'web')!;
    expect(stopped.status).toMatch(/^Exited \(\d+\)/);
    expect(stopped.ports).toEqual([]);
    expect(await call(b.paths.controlSocket, 'containerAction', { id: 'web', action: 'stop' })).toEqual({ message: 'web was already stopped' });

    from = events.mark();
    expect(await call(b.paths.controlSocket, 'containerAction', { id: 'web', action: 'start' })).toEqual({ message: 'web started' });
    await events.wait(withContainer('web', (c) => c.state === 'running'), 'web running again', from);

    from = events.mark();
    expect(await call(b.paths.controlSocket, 'containerAction', { id: 'web', action: 'pause' })).toEqual({ message: 'web paused' });
    await events.wait(withContainer('web', (c) => c.state === 'paused'), 'web paused', from);
    from = events.mark();
    expect(await call(b.paths.controlSocket, 'containerAction', { id: 'web', action: 'unpause' })).toEqual({ message: 'web unpaused' });
    await events.wait(withContainer('web', (c) => c.state === 'running'), 'web unpaused', from);

    const startedAt = async (): Promise<string> => ((await call(b.paths.controlSocket, 'containerInspect', { id: 'web' })).inspect.State as { StartedAt: string }).StartedAt;
    const before = await startedAt();
    from = events.mark();
    expect(await call(b.paths.controlSocket, 'containerAction', { id: 'web', action: 'restart' })).toEqual({ message: 'web restarted' });
    // A restart is die + start: a new list comes, with the container running again, started anew.
    await events.wait(withContainer('web', (c) => c.state === 'running'), 'web restarted', from);
    expect(await startedAt()).not.toBe(before);
  });

  it('inspect answers Docker\'s JSON for the container', async () => {
    const { inspect } = await call(b.paths.controlSocket, 'containerInspect', { id: 'web' });
    expect(inspect.Name).toBe('/web');
    expect((inspect.Config as { Image: string }).Image).toBe(TEST_IMAGE);
    expect((inspect.State as { Running: boolean }).Running).toBe(true);
    const missing = await apiError(call(b.paths.controlSocket, 'containerInspect', { id: 'no-such-box' }));
    expect([missing.code, missing.message]).toEqual(['not-found', 'there is no container no-such-box']);
  });

  it('removing it while it runs is a conflict that says what to do; with force it goes, and the event says so', async () => {
    const e = await apiError(call(b.paths.controlSocket, 'containerAction', { id: 'web', action: 'remove' }));
    expect(e.code).toBe('conflict');
    expect(e.message).toMatch(/^cannot remove web: You cannot remove a running container/);
    expect(e.hint).toBe('remove it with force or stop it first (stop web, then remove it)');
    const from = events.mark();
    expect(await call(b.paths.controlSocket, 'containerAction', { id: 'web', action: 'remove', force: true })).toEqual({ message: 'web removed' });
    await events.wait(withoutContainer('web'), 'web gone', from);
  });
});

describe('container logs', () => {
  it('follows a container\'s output: earlier lines, stderr apart, and a new line as it is written', async () => {
    await ok(['run', '-d', '--name', 'talker', TEST_IMAGE, 'sh', '-c', 'echo first; echo oops >&2; while [ ! -f /tmp/go ]; do sleep 0.2; done; echo after; sleep 1']);
    const lines: LogLine[] = [];
    let ended: (e?: unknown) => void = () => undefined;
    const done = new Promise((r) => (ended = r));
    openStream(b.paths.controlSocket, 'containerLogs', { id: 'talker', follow: true, tail: 100 }, { item: (l) => lines.push(l), end: (e) => ended(e ?? 'end') });
    const until = async (test: () => boolean, what: string): Promise<void> => {
      const deadline = Date.now() + 60_000;
      while (!test()) {
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; lines: ${JSON.stringify(lines)}`);
        await new Promise((r) => setTimeout(r, 50));
      }
    };
    await until(() => lines.length >= 2, 'the first two lines');
    // Docker copies stdout and stderr on separate pipes: their relative order in the log is not
    // guaranteed (under load "oops" can be logged first), so each line is checked with its stream.
    expect([...lines].sort((a, b) => a.stream.localeCompare(b.stream))).toEqual([
      { stream: 'stderr', line: 'oops' },
      { stream: 'stdout', line: 'first' },
    ]);
    const t0 = Date.now();
    await ok(['exec', 'talker', 'touch', '/tmp/go']);
    await until(() => lines.some((l) => l.line === 'after'), 'the new line');
    figures.newLogLineMs = Date.now() - t0;
    // The container exits: Docker ends the log, and the stream ends cleanly.
    expect(await done).toBe('end');
    expect(lines.at(-1)).toEqual({ stream: 'stdout', line: 'after' });
  });

  it('without follow: the tail with timestamps, then the end', async () => {
    const lines: LogLine[] = [];
    await runStream(b.paths.controlSocket, 'containerLogs', { id: 'talker', follow: false, tail: 1, timestamps: true }, (l) => lines.push(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]!.line).toMatch(/^\d{4}-\d\d-\d\dT[\d:.]+Z after$/);
    const e = await apiError(runStream(b.paths.controlSocket, 'containerLogs', { id: 'no-such-box' }, () => undefined));
    expect(e.code).toBe('not-found');
  });
});

describe('images and volumes', () => {
  it('a volume with data shows its size; removing it through the API takes it out of the events', async () => {
    let from = events.mark();
    await ok(['volume', 'create', 'berth-data']);
    await ok(['run', '--rm', '-v', 'berth-data:/data', TEST_IMAGE, 'sh', '-c', 'head -c 300000 /dev/urandom > /data/blob']);
    // Sized by `system df`; once the --rm container is destroyed, no container uses it (re-listed on its destroy event).
    const e = await events.wait((x) => x.type === 'volumes' && x.volumes.some((v) => v.name === 'berth-data' && v.size >= 300_000 && v.refCount === 0), 'berth-data with its size, unused', from);
    const v = (e as Extract<ApiEvent, { type: 'volumes' }>).volumes.find((x) => x.name === 'berth-data')!;
    expect(v).toMatchObject({ driver: 'local', mountpoint: '/var/lib/docker/volumes/berth-data/_data', refCount: 0 });
    figures.volumeSize = v.size;
    const listed = await call(b.paths.controlSocket, 'volumes');
    expect(listed.volumes.find((x) => x.name === 'berth-data')?.size).toBe(v.size);

    from = events.mark();
    expect(await call(b.paths.controlSocket, 'volumeRemove', { name: 'berth-data' })).toEqual({ message: 'volume berth-data removed' });
    await events.wait((x) => x.type === 'volumes' && !x.volumes.some((vol) => vol.name === 'berth-data'), 'berth-data gone', from);
    const again = await apiError(call(b.paths.controlSocket, 'volumeRemove', { name: 'berth-data' }));
    expect([again.code, again.message]).toEqual(['not-found', 'there is no volume berth-data']);
  });

  it('lists images with tags, size and the containers using them; removing one shows in the events', async () => {
    const { images } = await call(b.paths.controlSocket, 'images');
    const busybox = images.find((i) => i.tags.includes(TEST_IMAGE))!;
    expect(busybox.size).toBeGreaterThan(1_000_000);
    expect(busybox.containers).toBe(1); // talker, exited
    await ok(['tag', TEST_IMAGE, 'berth-test/extra:1']);
    await ok(['create', '--name', 'holder', TEST_IMAGE, 'true']);
    await ok(['commit', 'holder', 'berth-test/committed:1']);
    await ok(['rm', 'holder']);
    let from = events.mark();
    expect(await call(b.paths.controlSocket, 'imageRemove', { id: 'berth-test/extra:1' })).toEqual({ message: 'berth-test/extra:1 untagged; the image stays because other tags still name it' });
    await events.wait((x) => x.type === 'images' && !x.images.some((i) => i.tags.includes('berth-test/extra:1')), 'extra:1 untagged', from);
    from = events.mark();
    expect(await call(b.paths.controlSocket, 'imageRemove', { id: 'berth-test/committed:1' })).toEqual({ message: 'image berth-test/committed:1 removed (untagged berth-test/committed:1)' });
    await events.wait((x) => x.type === 'images' && !x.images.some((i) => i.tags.includes('berth-test/committed:1')), 'committed:1 gone', from);
  });

  it('a pull with no registry reachable ends with an error saying what failed and to check the network and proxy', async () => {
    const items: unknown[] = [];
    const e = await apiError(runStream(b.paths.controlSocket, 'imagePull', { ref: 'busybox:latest' }, (i) => items.push(i)));
    expect(e.code).toBe('pull-failed');
    expect(e.message).toMatch(/^pulling busybox:latest failed: .*registry-1\.docker\.io/);
    expect(e.hint).toMatch(/check the network and the proxy settings/);
    figures.pullError = e.message;
  });
});

describe('stats and log tails', () => {
  it('`stats` events with plausible figures every few seconds', async () => {
    const from = events.mark();
    const isStats = (x: ApiEvent): x is Extract<ApiEvent, { type: 'stats' }> => x.type === 'stats';
    const first = (await events.wait(isStats, 'a stats event', from, 30_000)).stats;
    const second = (await events.wait((x) => isStats(x) && x.stats.at > first.at, 'a second stats event', from, 30_000)) as Extract<ApiEvent, { type: 'stats' }>;
    const status = await call(b.paths.controlSocket, 'status');
    for (const s of [first, second.stats] as VmStats[]) {
      expect(s.cpu).toBeGreaterThanOrEqual(0);
      expect(s.cpu).toBeLessThanOrEqual(1);
      expect(s.memoryUsedBytes).toBeGreaterThan(0);
      expect(s.memoryUsedBytes).toBeLessThan(s.memoryTotalBytes);
      // The guest's MemTotal is the VM's memory less what the kernel keeps.
      expect(s.memoryTotalBytes).toBeLessThanOrEqual(status.resources!.memoryBytes);
      expect(s.memoryTotalBytes).toBeGreaterThan(status.resources!.memoryBytes * 0.7);
      expect(s.diskUsedBytes).toBeGreaterThan(0);
      expect(s.diskUsedBytes!).toBeLessThan(s.diskTotalBytes!);
    }
    figures.stats = { ...second.stats, apartMs: second.stats.at - first.at };
  });

  it('a new subscriber gets the current lists and stats in its first events', async () => {
    const late = new EventLog();
    late.follow(b.paths.controlSocket);
    try {
      await late.wait((x) => x.type === 'containers' && x.containers.some((c) => c.name === 'talker'), 'containers on subscribe', 0, 10_000);
      await late.wait((x) => x.type === 'images' && x.images.some((i) => i.tags.includes(TEST_IMAGE)), 'images on subscribe', 0, 10_000);
      await late.wait((x) => x.type === 'volumes', 'volumes on subscribe', 0, 10_000);
      await late.wait((x) => x.type === 'stats', 'stats on subscribe', 0, 10_000);
      expect(late.all[0]?.type).toBe('state');
    } finally {
      late.stop();
    }
  });

  it('logTail: berthd\'s log from the host, docker\'s from the VM', async () => {
    const own = await call(b.paths.controlSocket, 'logTail', { source: 'berthd', lines: 50 });
    expect(own.path).toBe(b.paths.berthdLog);
    expect(own.lines.length).toBeGreaterThan(0);
    expect(own.lines.length).toBeLessThanOrEqual(50);
    const docker = await call(b.paths.controlSocket, 'logTail', { source: 'docker', lines: 20 });
    expect(docker.path).toBe('/var/log/dockerd.log');
    expect(docker.lines.length).toBe(20);
    expect(docker.lines.join('\n')).toMatch(/level=/);
    const agent = await call(b.paths.controlSocket, 'logTail', { source: 'agent', lines: 5 });
    expect(agent.lines.length).toBeGreaterThan(0);
    const console = await call(b.paths.controlSocket, 'logTail', { source: 'console', lines: 5 });
    expect(console.path).toBe(b.paths.consoleLog);
  });
});

describe('following the VM', () => {
  it('T-27: after berthd is killed, the next one re-adopts the VM and serves the lists and stats again', async () => {
    events.stop();
    process.kill(b.berthdPid()!, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    const r = await b.berth(['start'], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect((await call(b.paths.controlSocket, 'status')).adopted).toBe(true);
    const fresh = new EventLog();
    fresh.follow(b.paths.controlSocket);
    try {
      await fresh.wait(withContainer('talker'), 'containers after re-adoption', 0, 60_000);
      await fresh.wait((x) => x.type === 'stats', 'stats after re-adoption', 0, 60_000);
      const from = fresh.mark();
      await ok(['run', '-d', '--name', 'late', TEST_IMAGE, 'sleep', '600']);
      await fresh.wait(withContainer('late', (c) => c.state === 'running'), 'a container run after re-adoption', from);
    } finally {
      fresh.stop();
    }
  });

  it('with the VM stopped: Docker routes and guest logs answer 409 saying to start it; berthd\'s own log still reads', async () => {
    const stop = await b.berth(['stop'], { timeoutMs: 120_000 });
    expect(stop.code, stop.stderr).toBe(0);
    const list = await apiError(call(b.paths.controlSocket, 'containers'));
    expect([list.code, list.message]).toEqual(['not-running', 'the VM is not running, so neither is Docker']);
    const logs = await apiError(runStream(b.paths.controlSocket, 'containerLogs', { id: 'talker' }, () => undefined));
    expect(logs.code).toBe('not-running');
    const tail = await apiError(call(b.paths.controlSocket, 'logTail', { source: 'docker', lines: 10 }));
    expect(tail.code).toBe('not-running');
    expect(tail.message).toBe('the docker log is inside the VM, which is not running');
    expect(tail.hint).toMatch(/start the VM/);
    expect((await call(b.paths.controlSocket, 'logTail', { source: 'berthd', lines: 5 })).lines.length).toBe(5);
    // A subscriber now gets the state only: no lists of a VM that is not running.
    const after = new EventLog();
    after.follow(b.paths.controlSocket);
    try {
      await after.wait((x) => x.type === 'state', 'the state', 0, 10_000);
      await new Promise((r) => setTimeout(r, 1000));
      expect(after.all.map((x) => x.type)).toEqual(['state']);
    } finally {
      after.stop();
    }
  });
});
