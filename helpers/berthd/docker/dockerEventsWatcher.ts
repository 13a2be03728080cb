// Owns: following Docker's events while the VM runs — a debounced re-list of the kind an event touched
// (containers, images, volumes), published as control API events, reconnected with backoff if it breaks.
import type Docker from 'dockerode';
import type { ContainerSummary, ImageSummary, VolumeSummary } from '../../api/docker.ts';
import type { ApiEvent } from '../../api/controlApi.ts';
import { jsonLines } from '../ports/dockerPortWatcher.ts';
import { DockerEventsFollower } from './dockerEventsFollower.ts';

export type ResourceKind = 'containers' | 'images' | 'volumes';
export const RESOURCE_KINDS: readonly ResourceKind[] = ['containers', 'images', 'volumes'];

type Lists = { containers: ContainerSummary[]; images: ImageSummary[]; volumes: VolumeSummary[] };

/** What the watcher needs of dockerode: its events. */
export type DockerEventsSource = Pick<Docker, 'getEvents'>;

export type EventsWatcherDeps = {
  docker: () => DockerEventsSource;
  list: { [K in ResourceKind]: () => Promise<Lists[K]> };
  publish: (e: ApiEvent) => void;
  log: (m: string) => void;
};
export type EventsWatcherOptions = {
  debounceMs: number;
  minBackoffMs: number;
  maxBackoffMs: number;
  relistMs: number;
  /**
   * Extra container re-lists after a container stops: Docker sends `die` before it has cleaned the
   * container up and marked it stopped (unmounts and iptables can take seconds under TCG), and no
   * event follows, so a list taken at `die` can still say "running".
   */
  settleMs: number[];
};
export const defaultEventsWatcherOptions: EventsWatcherOptions = { debounceMs: 150, minBackoffMs: 250, maxBackoffMs: 5000, relistMs: 60_000, settleMs: [1000, 3000, 10_000] };

/** Container actions after which Docker marks the container stopped only a little later. */
const STOPPING_CONTAINER_ACTIONS = new Set(['die', 'kill', 'stop', 'oom']);

/** Whether an event announces a container stopping (so its list should be taken again once it settled). */
export function isContainerStopping(ev: { Type?: string; Action?: string; status?: string }): boolean {
  return ev.Type === 'container' && STOPPING_CONTAINER_ACTIONS.has((ev.Action ?? ev.status ?? '').split(':')[0]!.trim());
}

/** Container actions that change nothing a list shows (exec sessions, attach, resize, copying files). */
const QUIET_CONTAINER_ACTIONS = new Set(['exec_create', 'exec_start', 'exec_die', 'exec_detach', 'attach', 'detach', 'resize', 'top', 'archive-path', 'extract-to-dir', 'export', 'copy']);

/** Which lists a Docker event changes (Docker's event JSON: Type, Action or the older status). */
export function kindsForEvent(ev: { Type?: string; Action?: string; status?: string }): ResourceKind[] {
  const action = (ev.Action ?? ev.status ?? '').split(':')[0]!.trim();
  switch (ev.Type) {
    case 'container':
      if (QUIET_CONTAINER_ACTIONS.has(action)) return [];
      // A new or removed container changes how many containers use an image and a volume.
      if (action === 'create' || action === 'destroy') return ['containers', 'images', 'volumes'];
      if (action === 'commit') return ['containers', 'images'];
      return ['containers'];
    case 'image':
      return ['images'];
    case 'volume':
      return ['volumes'];
    default:
      return [];
  }
}

function toEvent<K extends ResourceKind>(kind: K, list: Lists[K]): ApiEvent {
  if (kind === 'containers') return { type: 'containers', containers: list as ContainerSummary[] };
  if (kind === 'images') return { type: 'images', images: list as ImageSummary[] };
  return { type: 'volumes', volumes: list as VolumeSummary[] };
}

export class DockerEventsWatcher {
  private readonly opts: EventsWatcherOptions;
  private running = false;
  /** Bumped at every start and stop: a list answered for an earlier run is dropped. */
  private generation = 0;
  private readonly follower: DockerEventsFollower;
  private debounce: NodeJS.Timeout | undefined;
  private periodic: NodeJS.Timeout | undefined;
  private readonly pending = new Set<ResourceKind>();
  private readonly listing = new Map<ResourceKind, Promise<void>>();
  private readonly listAgain = new Set<ResourceKind>();
  private readonly latest = new Map<ResourceKind, { event: ApiEvent; json: string }>();
  private readonly failing = new Set<string>();
  private readonly settling = new Set<NodeJS.Timeout>();

  constructor(
    private readonly deps: EventsWatcherDeps,
    opts: Partial<EventsWatcherOptions> = {},
  ) {
    this.opts = { ...defaultEventsWatcherOptions, ...opts };
    const feed = jsonLines((o) => {
      const ev = o as { Type?: string; Action?: string; status?: string };
      this.relistSoon(kindsForEvent(ev));
      if (isContainerStopping(ev)) this.settleContainers();
    });
    this.follower = new DockerEventsFollower(
      {
        open: () => this.deps.docker().getEvents({ filters: { type: ['container', 'image', 'volume'] } }),
        openFailed: (e) => this.once('events', `cannot follow Docker's events (${e.message}); retrying`),
        connected: () => {
          this.failing.delete('events');
          // Events may have been missed before the stream was up (or while it was down): list everything.
          this.relistSoon(RESOURCE_KINDS);
        },
        data: feed,
        log: (m) => this.deps.log(m),
      },
      this.opts,
    );
  }

  get active(): boolean {
    return this.running;
  }

  /** Follow Docker: list every kind now, then again after the events that change it. */
  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.periodic = setInterval(() => this.relistSoon(RESOURCE_KINDS), this.opts.relistMs);
    this.periodic.unref();
    this.follower.start();
  }

  /** Stop following and forget the lists (they describe a VM that is going away). */
  stop(): void {
    if (!this.running) return;
    this.running = false;
    this.generation++;
    for (const t of [this.debounce, this.periodic]) if (t) clearTimeout(t);
    this.debounce = this.periodic = undefined;
    for (const t of this.settling) clearTimeout(t);
    this.settling.clear();
    this.pending.clear();
    this.listAgain.clear();
    this.latest.clear();
    this.follower.stop();
  }

  /** The last list of each kind, for a new subscriber's first events. */
  current(): ApiEvent[] {
    return RESOURCE_KINDS.flatMap((k) => {
      const l = this.latest.get(k);
      return l ? [l.event] : [];
    });
  }

  /** Re-list these kinds after the debounce (events come in bursts: one `docker run` sends several). */
  relistSoon(kinds: Iterable<ResourceKind>): void {
    if (!this.running) return;
    for (const k of kinds) this.pending.add(k);
    if (this.debounce || this.pending.size === 0) return;
    this.debounce = setTimeout(() => {
      this.debounce = undefined;
      const kinds = [...this.pending];
      this.pending.clear();
      for (const k of kinds) void this.relist(k);
    }, this.opts.debounceMs);
    this.debounce.unref();
  }

  /** List one kind now and publish it when it changed; a call while one runs lists once more after it. */
  relist(kind: ResourceKind): Promise<void> {
    const busy = this.listing.get(kind);
    if (busy) {
      this.listAgain.add(kind);
      return busy;
    }
    const run = (async () => {
      try {
        do {
          this.listAgain.delete(kind);
          await this.listOnce(kind);
        } while (this.listAgain.has(kind) && this.running);
      } finally {
        this.listing.delete(kind);
      }
    })();
    this.listing.set(kind, run);
    return run;
  }

  private async listOnce<K extends ResourceKind>(kind: K): Promise<void> {
    const generation = this.generation;
    let list: Lists[K];
    try {
      list = await this.deps.list[kind]();
    } catch (e) {
      this.once(`list ${kind}`, `cannot list Docker's ${kind} (${(e as Error).message}); trying again at the next event`);
      return;
    }
    this.failing.delete(`list ${kind}`);
    if (!this.running || generation !== this.generation) return;
    const json = JSON.stringify(list);
    if (this.latest.get(kind)?.json === json) return;
    const event = toEvent(kind, list);
    this.latest.set(kind, { event, json });
    this.deps.publish(event);
  }

  /** Take the container list again at each settle delay (published only if it changed). */
  private settleContainers(): void {
    for (const ms of this.opts.settleMs) {
      const t = setTimeout(() => {
        this.settling.delete(t);
        this.relistSoon(['containers']);
      }, ms);
      t.unref();
      this.settling.add(t);
    }
  }

  private once(key: string, message: string): void {
    if (this.failing.has(key)) return;
    this.failing.add(key);
    this.deps.log(message);
  }
}
