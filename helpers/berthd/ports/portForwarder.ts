// Owns: the host listeners of published ports — kept equal to the desired set (serialized reconciles,
// last wins), each connection spliced to a guest-link `tcp:<port>` stream, conflicts retried (T-07).
import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import type { PortForward } from '../../api/ports.ts';
import { spliceStreams } from '../forward/spliceStreams.ts';
import { describePortHolder } from './portHolder.ts';
import { forwardKey, isIpv6, sortForwards, UDP_MESSAGE, type DesiredForward } from './publishedPorts.ts';

export type ForwarderDeps = {
  /** Opens a guest-link stream (`tcp:<port>`); may throw when the VM does not run. */
  open: (target: string) => Duplex;
  log: (m: string) => void;
  /** Who holds a port on EADDRINUSE; describePortHolder by default. */
  describeHolder?: (port: number, address: string) => string | undefined;
};
export type ForwarderOptions = { retryConflictMs: number };

type Entry = {
  desired: DesiredForward;
  state: PortForward['state'];
  message: string | undefined;
  server: Server | undefined;
  sockets: Set<Socket>;
  bytesIn: number;
  bytesOut: number;
  connections: number;
  retry: NodeJS.Timeout | undefined;
  retries: number;
  removed: boolean;
};

/**
 * What to show as berthd's `port` degraded reason: the forwards that should listen but cannot
 * (conflict or error), in one message; undefined when every listener is up.
 */
export function portTrouble(forwards: readonly PortForward[]): string | undefined {
  const bad = forwards.filter((f) => f.state === 'conflict' || f.state === 'error');
  if (bad.length === 0) return undefined;
  const shown = bad.slice(0, 3).map((f) => `${f.containerName}: ${f.message ?? `port ${f.hostPort} on ${f.hostAddress} is not forwarded`}`);
  return `${shown.join('; ')}${bad.length > 3 ? `; and ${bad.length - 3} more (see berth ports)` : ''}`;
}

/** A conflict's holder is looked up again every this many retries (scanning /proc costs a little). */
const DESCRIBE_EVERY_RETRIES = 10;

export class PortForwarder extends EventEmitter {
  private readonly entries = new Map<string, Entry>();
  /** IPv6 forwards this host cannot listen on (no IPv6): skipped until they are no longer desired. */
  private readonly unavailable = new Set<string>();
  private readonly opts: ForwarderOptions;
  private queue: Promise<void> = Promise.resolve();
  private latest: DesiredForward[] = [];
  private requested = 0;
  private applied = 0;
  private closed = false;
  private lastShown = '';

  constructor(
    private readonly deps: ForwarderDeps,
    opts: Partial<ForwarderOptions> = {},
  ) {
    super();
    this.opts = { retryConflictMs: 2000, ...opts };
  }

  /** Make the host listeners equal to `desired`. Calls are serialized; one that waited behind newer ones applies the newest. */
  reconcile(desired: DesiredForward[]): Promise<void> {
    this.latest = desired;
    const generation = ++this.requested;
    return this.enqueue(async () => {
      if (this.closed || this.applied >= generation) return;
      const target = this.requested;
      await this.apply(this.latest);
      this.applied = target;
    });
  }

  /** Every forward, sorted by host port then address. */
  list(): PortForward[] {
    return sortForwards(
      [...this.entries.values()].map((e) => ({
        ...e.desired,
        state: e.state,
        ...(e.message !== undefined ? { message: e.message } : {}),
        bytesIn: e.bytesIn,
        bytesOut: e.bytesOut,
        connections: e.connections,
      })),
    );
  }

  /** Close every listener and connection; later reconciles do nothing. */
  async close(): Promise<void> {
    this.closed = true;
    await this.enqueue(async () => {
      await Promise.all([...this.entries.values()].map((e) => this.remove(e)));
      this.entries.clear();
    });
  }

  private enqueue(job: () => Promise<void>): Promise<void> {
    const run = this.queue.then(job);
    this.queue = run.catch((e: Error) => this.deps.log(`port forwarding: ${e.message}`));
    return run;
  }

  private async apply(desired: DesiredForward[]): Promise<void> {
    const want = new Map<string, DesiredForward>();
    for (const d of desired) {
      // Only TCP has a host listener: a UDP forward asked for is listed as not forwarded, never dropped silently.
      const f: DesiredForward = d.protocol === 'udp' && d.state === 'forwarding' ? { ...d, state: 'not-forwarded', message: UDP_MESSAGE } : d;
      if (!want.has(forwardKey(f))) want.set(forwardKey(f), f);
    }
    for (const key of this.unavailable) if (!want.has(key)) this.unavailable.delete(key);

    const gone: Entry[] = [];
    for (const [key, e] of this.entries) {
      const d = want.get(key);
      // A forward that changes between listening and not is replaced; anything else keeps its listener and counters.
      if (!d || d.state !== e.desired.state) {
        gone.push(e);
        this.entries.delete(key);
      } else {
        e.desired = d;
        if (d.state === 'not-forwarded') e.message = d.message;
      }
    }
    await Promise.all(gone.map((e) => this.remove(e)));

    const added: Entry[] = [];
    for (const [key, d] of want) {
      if (this.entries.has(key) || this.unavailable.has(key)) continue;
      const e: Entry = { desired: d, state: d.state === 'forwarding' ? 'error' : 'not-forwarded', message: d.message, server: undefined, sockets: new Set(), bytesIn: 0, bytesOut: 0, connections: 0, retry: undefined, retries: 0, removed: false };
      this.entries.set(key, e);
      if (d.state === 'forwarding') added.push(e);
    }
    await Promise.all(added.map((e) => this.listen(e)));
    this.changed();
  }

  /** Emit 'change' when a state or message differs from the last one shown. */
  private changed(): void {
    const list = this.list();
    const shown = JSON.stringify(list.map((f) => [forwardKey(f), f.state, f.message, f.containerId, f.containerPort]));
    if (shown === this.lastShown) return;
    this.lastShown = shown;
    this.emit('change', list);
  }

  private async remove(e: Entry): Promise<void> {
    e.removed = true;
    if (e.retry) clearTimeout(e.retry);
    e.retry = undefined;
    const server = e.server;
    e.server = undefined;
    for (const s of e.sockets) s.destroy();
    e.sockets.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Open the entry's listener; its outcome becomes the entry's state (never throws). */
  private listen(e: Entry): Promise<void> {
    const { hostAddress: host, hostPort: port } = e.desired;
    return new Promise<void>((resolve) => {
      const server = createServer({ allowHalfOpen: true }, (s) => this.onConnection(e, s));
      const failed = (err: NodeJS.ErrnoException): void => {
        server.close();
        this.onListenError(e, err);
        resolve();
      };
      server.once('error', failed);
      // :: listens v6-only, so 0.0.0.0 on the same port is a listener of its own (publishedPorts.ts).
      server.listen({ host, port, exclusive: true, ...(isIpv6(host) ? { ipv6Only: true } : {}) }, () => {
        server.off('error', failed);
        server.on('error', (err) => this.deps.log(`listener ${host}:${port}: ${err.message}`));
        if (e.removed) {
          server.close();
        } else {
          if (e.state === 'conflict') this.deps.log(`port ${port} on ${host} is free again: forwarding it to the VM`);
          e.server = server;
          e.state = 'forwarding';
          e.message = undefined;
        }
        resolve();
      });
    });
  }

  private onListenError(e: Entry, err: NodeJS.ErrnoException): void {
    const { hostAddress: host, hostPort: port } = e.desired;
    const key = forwardKey(e.desired);
    if ((err.code === 'EADDRNOTAVAIL' || err.code === 'EAFNOSUPPORT') && isIpv6(host)) {
      this.deps.log(`not forwarding port ${port} on ${host}: this computer has no IPv6 there (${err.code}); the IPv4 listener still serves it`);
      this.entries.delete(key);
      this.unavailable.add(key);
      e.removed = true;
      return;
    }
    if (err.code === 'EADDRINUSE') {
      const first = e.state !== 'conflict';
      if (first || e.retries % DESCRIBE_EVERY_RETRIES === 0 || e.message === undefined) {
        const holder = (this.deps.describeHolder ?? describePortHolder)(port, host);
        e.message = `port ${port} on ${host} is ${holder ?? 'used by another program'}: stop that program, or publish the container on another host port; Berth retries every ${Math.round(this.opts.retryConflictMs / 100) / 10} s`;
      }
      if (first) this.deps.log(`cannot forward ${host}:${port}: ${e.message}`);
      e.state = 'conflict';
      e.retry = setTimeout(() => this.retry(e), this.opts.retryConflictMs);
      e.retry.unref();
      return;
    }
    e.state = 'error';
    e.message =
      err.code === 'EACCES'
        ? `port ${port} on ${host} needs administrator rights on this computer: publish the container on a port above 1023 (for example -p 8080:${e.desired.containerPort})`
        : `port ${port} on ${host} could not be opened on this computer (${err.message}): publish the container on another host port, or restart it to try again`;
    this.deps.log(`cannot forward ${host}:${port}: ${e.message}`);
  }

  /** A conflict's retry runs in the queue, so it never overlaps a reconcile of the same port. */
  private retry(e: Entry): void {
    e.retry = undefined;
    void this.enqueue(async () => {
      if (e.removed || this.closed) return;
      e.retries++;
      await this.listen(e);
      this.changed();
    });
  }

  private onConnection(e: Entry, client: Socket): void {
    if (e.removed) {
      client.destroy();
      return;
    }
    e.connections++;
    e.sockets.add(client);
    client.on('close', () => e.sockets.delete(client));
    let stream: Duplex;
    try {
      stream = this.deps.open(`tcp:${e.desired.hostPort}`);
    } catch (err) {
      this.deps.log(`connection to port ${e.desired.hostPort} dropped: ${(err as Error).message}`);
      client.destroy();
      return;
    }
    spliceStreams(client, stream, this.deps.log, `port ${e.desired.hostPort}`);
    client.on('data', (chunk: Buffer) => (e.bytesIn += chunk.length));
    stream.on('data', (chunk: Buffer) => (e.bytesOut += chunk.length));
  }
}
