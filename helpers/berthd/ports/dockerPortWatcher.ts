// Owns: following Docker's containers to keep the port forwards current — the events stream (reconnected
// with backoff), a debounced re-list after container events, and a periodic re-list as a safety net.
import { createServer } from 'node:net';
import type { DesiredForward, BindAddress, ListedContainer } from './publishedPorts.ts';
import { desiredForwards } from './publishedPorts.ts';
import { DockerEventsFollower } from '../docker/dockerEventsFollower.ts';

/** What the watcher needs of dockerode (a `new Docker({ socketPath })` fits). */
export type DockerLike = {
  getEvents(opts: { filters: { type: Array<'container'>; event: string[] } }): Promise<NodeJS.ReadableStream>;
  listContainers(): Promise<ListedContainer[]>;
};

export type WatcherDeps = {
  docker: () => DockerLike;
  forwarder: { reconcile(desired: DesiredForward[]): Promise<void> };
  bindAddress: () => BindAddress;
  /** Whether this host can listen on ::1; detected at start when left out. */
  ipv6Loopback?: boolean;
  log: (m: string) => void;
};
export type WatcherOptions = { debounceMs: number; relistMs: number; minBackoffMs: number; maxBackoffMs: number };
export const defaultWatcherOptions: WatcherOptions = { debounceMs: 100, relistMs: 10_000, minBackoffMs: 250, maxBackoffMs: 5000 };

/** Container events that can change the published ports of running containers. */
export const PORT_EVENTS = ['start', 'die', 'stop', 'kill', 'destroy', 'pause', 'unpause'];

/** Whether this host can listen on ::1 (IPv6 present): one listen on port 0, closed at once. */
export function detectIpv6Loopback(): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createServer();
    s.once('error', () => resolve(false));
    s.listen({ host: '::1', port: 0, ipv6Only: true }, () => s.close(() => resolve(true)));
  });
}

const MAX_LINE = 1024 * 1024;

/** Splits a JSON-lines byte stream into objects, across chunk boundaries; junk lines are skipped. */
export function jsonLines(onObject: (o: unknown) => void): (chunk: Buffer | string) => void {
  let rest = '';
  return (chunk) => {
    rest += String(chunk);
    const lines = rest.split('\n');
    rest = lines.pop() ?? '';
    if (rest.length > MAX_LINE) rest = ''; // no event is this long: drop it rather than grow without end
    for (const line of lines) {
      if (line.trim() === '') continue;
      try {
        onObject(JSON.parse(line));
      } catch {
        // not JSON: Docker never sends that; ignore rather than stop following
      }
    }
  };
}

export class DockerPortWatcher {
  private readonly opts: WatcherOptions;
  private ipv6: boolean | undefined;
  private docker: DockerLike | undefined;
  private readonly follower: DockerEventsFollower;
  private running = false;
  private debounce: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private listing: Promise<void> | undefined;
  private listAgain = false;
  private listFailing = false;
  private eventsFailing = false;

  constructor(
    private readonly deps: WatcherDeps,
    opts: Partial<WatcherOptions> = {},
  ) {
    this.opts = { ...defaultWatcherOptions, ...opts };
    this.ipv6 = deps.ipv6Loopback;
    const feed = jsonLines((o) => {
      const ev = o as { Type?: string; Action?: string; status?: string };
      const action = (ev.Action ?? ev.status ?? '').split(':')[0] ?? '';
      if ((ev.Type === undefined || ev.Type === 'container') && PORT_EVENTS.includes(action)) this.soon();
    });
    this.follower = new DockerEventsFollower(
      {
        open: () => {
          this.docker = this.deps.docker();
          return this.docker.getEvents({ filters: { type: ['container'], event: PORT_EVENTS } });
        },
        openFailed: (e) => {
          if (!this.eventsFailing) {
            this.deps.log(`cannot follow Docker's container events (${e.message}); retrying, and re-listing every ${this.opts.relistMs / 1000} s meanwhile`);
            void this.refresh(); // at start too: the forwards should not wait for the events stream
          }
          this.eventsFailing = true;
        },
        connected: () => {
          this.eventsFailing = false;
          // Events may have been missed while the stream was down: list once it is up.
          void this.refresh();
        },
        data: feed,
        // The forwards are re-listed while the stream is down, not only once it is back.
        lost: () => void this.refresh(),
        log: (m) => this.deps.log(m),
      },
      { ...this.opts, resetBackoffOnData: true },
    );
  }

  /** Follow Docker: list now, then on container events and every relistMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.periodic = setInterval(() => void this.refresh(), this.opts.relistMs);
    this.periodic.unref();
    this.follower.start();
  }

  /** Stop following (the forwards stay as they are: reconcile([]) or close the forwarder to end them). */
  stop(): void {
    this.running = false;
    for (const t of [this.debounce, this.periodic]) if (t) clearTimeout(t);
    this.debounce = this.periodic = undefined;
    this.follower.stop();
  }

  /** List the containers and reconcile now (also when the bindAddress setting changed). */
  refresh(): Promise<void> {
    if (this.listing) {
      this.listAgain = true;
      return this.listing;
    }
    this.listing = (async () => {
      try {
        do {
          this.listAgain = false;
          await this.listOnce();
        } while (this.listAgain && this.running);
      } finally {
        this.listing = undefined;
      }
    })();
    return this.listing;
  }

  private async listOnce(): Promise<void> {
    this.ipv6 ??= await detectIpv6Loopback();
    let containers: ListedContainer[];
    try {
      this.docker ??= this.deps.docker();
      containers = await this.docker.listContainers();
    } catch (e) {
      // Keep the forwards as they are: a VM that is slow to answer should not close the user's ports.
      if (!this.listFailing) this.deps.log(`cannot list containers to forward their ports (${(e as Error).message}); keeping the current forwards and trying again`);
      this.listFailing = true;
      return;
    }
    this.listFailing = false;
    if (!this.running) return;
    await this.deps.forwarder.reconcile(desiredForwards(containers, { bindAddress: this.deps.bindAddress(), ipv6Loopback: this.ipv6 }));
  }

  private soon(): void {
    if (this.debounce || !this.running) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      void this.refresh();
    }, this.opts.debounceMs);
    this.debounce.unref();
  }
}
