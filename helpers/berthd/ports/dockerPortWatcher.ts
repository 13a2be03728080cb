// Owns: following Docker's containers to keep the port forwards current — the events stream (reconnected
// with backoff), a debounced re-list after container events, and a periodic re-list as a safety net.
import { createServer } from 'node:net';
import type { DesiredForward, BindAddress, ListedContainer } from './publishedPorts.ts';
import { desiredForwards } from './publishedPorts.ts';

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
  private events: NodeJS.ReadableStream | undefined;
  private running = false;
  private backoff: number;
  private debounce: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private reconnect: NodeJS.Timeout | undefined;
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
    this.backoff = this.opts.minBackoffMs;
  }

  /** Follow Docker: list now, then on container events and every relistMs. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.periodic = setInterval(() => void this.refresh(), this.opts.relistMs);
    this.periodic.unref();
    void this.connect();
  }

  /** Stop following (the forwards stay as they are: reconcile([]) or close the forwarder to end them). */
  stop(): void {
    this.running = false;
    for (const t of [this.debounce, this.periodic, this.reconnect]) if (t) clearTimeout(t);
    this.debounce = this.periodic = this.reconnect = undefined;
    this.dropEvents();
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

  private async connect(): Promise<void> {
    this.reconnect = undefined;
    if (!this.running) return;
    this.docker = this.deps.docker();
    const since = Date.now();
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.docker.getEvents({ filters: { type: ['container'], event: PORT_EVENTS } });
    } catch (e) {
      if (!this.eventsFailing) {
        this.deps.log(`cannot follow Docker's container events (${(e as Error).message}); retrying, and re-listing every ${this.opts.relistMs / 1000} s meanwhile`);
        void this.refresh(); // at start too: the forwards should not wait for the events stream
      }
      this.eventsFailing = true;
      this.retryLater();
      return;
    }
    if (!this.running) {
      destroy(stream);
      return;
    }
    this.eventsFailing = false;
    this.events = stream;
    // Events may have been missed while the stream was down: list once it is up.
    void this.refresh();
    const feed = jsonLines((o) => {
      const ev = o as { Type?: string; Action?: string; status?: string };
      const action = (ev.Action ?? ev.status ?? '').split(':')[0] ?? '';
      if ((ev.Type === undefined || ev.Type === 'container') && PORT_EVENTS.includes(action)) this.soon();
    });
    stream.on('data', (chunk: Buffer | string) => {
      this.backoff = this.opts.minBackoffMs;
      feed(chunk);
    });
    let ended = false;
    const onEnd = (why: string) => {
      if (ended || this.events !== stream) return;
      ended = true;
      this.events = undefined;
      destroy(stream);
      if (!this.running) return;
      if (Date.now() - since >= this.opts.maxBackoffMs) this.backoff = this.opts.minBackoffMs;
      this.deps.log(`Docker's event stream ${why}; following it again in ${this.backoff} ms`);
      void this.refresh();
      this.retryLater();
    };
    stream.on('error', (e: Error) => onEnd(`failed (${e.message})`));
    stream.on('end', () => onEnd('ended'));
    stream.on('close', () => onEnd('closed'));
  }

  private retryLater(): void {
    if (!this.running || this.reconnect) return;
    this.reconnect = setTimeout(() => void this.connect(), this.backoff);
    this.reconnect.unref();
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs);
  }

  private dropEvents(): void {
    const s = this.events;
    this.events = undefined;
    if (s) destroy(s);
  }
}

function destroy(s: NodeJS.ReadableStream): void {
  const d = s as NodeJS.ReadableStream & { destroy?: () => void };
  d.destroy?.();
}
