// Owns: shares over the guest link (Hyper-V, which has no 9P device; QEMU with BERTH_SHARE_TRANSPORT=link):
// per share a berth-ninep-server joined to a `ninep:<tag>` stream, mounted by the agent's share.mount RPC
// at the share's guest path (docs/protocol.md), each share's outcome for `status`, and all of it again
// after every new link session (the agent restarted, berthd re-adopted the VM); a share whose server died
// is served and mounted again on the same session (T-26, restartPolicy.ts).
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { LinkSession } from '../guest/linkSession.ts';
import { AgentRpc, AgentRpcError } from '../guest/rpcClient.ts';
import { afterExit, DEFAULT_RESTART_POLICY, formatSeconds, type RestartHistory, type RestartPolicy } from '../host/restartPolicy.ts';
import { NinepServer, type NinepServerExit } from '../hypervisors/ninepServer.ts';
import { spliceStreams } from '../forward/spliceStreams.ts';
import type { SharesPlan } from './sharesPlan.ts';

/** One share the agent mounts over the link: served from `hostPath`, mounted at `guestPath`. */
export type LinkShare = { tag: string; hostPath: string; guestPath: string; readOnly: boolean };

/**
 * A plan's shares moved onto the link: no QEMU devices, no virtiofsd, no config-disk `mounts` lines
 * (the guest's boot would look for virtio tags); the same tags, paths and modes, for LinkShares. Pure.
 */
export function sharesOverLink(plan: SharesPlan): { plan: SharesPlan; shares: LinkShare[] } {
  const shares = plan.guestMounts.map((m) => {
    const dev = plan.qemu.find((q) => q.tag === m.tag);
    if (!dev) throw new Error(`sharesOverLink: the plan has no host folder for tag ${m.tag}`);
    return { tag: m.tag, hostPath: dev.hostPath, guestPath: m.guestPath, readOnly: m.readOnly };
  });
  return { plan: { ...plan, qemu: [], virtiofsd: [], guestMounts: [] }, shares };
}

/** Where the 9P server of a share listens: a private unix socket, or (Windows: no AF_UNIX in Node) loopback TCP. */
export function ninepListenFor(tag: string, o: { platform: NodeJS.Platform; socketDir: string }): string {
  return o.platform === 'win32' ? 'tcp:127.0.0.1:0' : `unix:${join(o.socketDir, `9p-link-${tag}.sock`)}`;
}

export type LinkSharesOptions = {
  /** berth-ninep-server (ninepServerPath()). */
  binary: string;
  socketDir: string;
  logsDir: string;
  platform?: NodeJS.Platform;
  log: (m: string) => void;
  /** Called when a share's outcome changed. */
  changed?: () => void;
  /** How long share.mount may take (the kernel's Tversion/Tattach through the link). */
  mountTimeoutMs?: number;
  /** When a share whose server died is served and mounted again (default: restartPolicy.ts's). */
  restartPolicy?: RestartPolicy;
};

type Outcome = { state: 'mounting' } | { state: 'mounted' } | { state: 'failed'; why: string } | { state: 'lost' } | { state: 'restarting'; why: string };
type Live = { server: NinepServer; socket: Socket; stream: ReturnType<LinkSession['open']> };

/** The shares of one VM over its link. mountAll() per session; stop() with the VM. */
export class LinkShares {
  private readonly outcomes = new Map<string, Outcome>();
  private readonly live = new Map<string, Live>();
  private generation = 0;
  /** The mountAll runs, one after the other (a newer one makes the one before stop where it is). */
  private current: Promise<void> = Promise.resolve();
  /** Per share: its servers' deaths in a row (restartPolicy.ts), and how many times one was served again. */
  private readonly restarts = new Map<string, RestartHistory>();
  private remounts = 0;

  constructor(
    readonly shares: LinkShare[],
    private readonly o: LinkSharesOptions,
  ) {
    for (const s of shares) this.outcomes.set(s.tag, { state: 'mounting' });
  }

  /** Guest paths mounted now. */
  get mounted(): string[] {
    return this.shares.filter((s) => this.outcomes.get(s.tag)?.state === 'mounted').map((s) => s.guestPath);
  }

  /** One line per share that is not mounted: which folder, where, and why. */
  get problems(): string[] {
    return this.shares.flatMap((s) => {
      const o = this.outcomes.get(s.tag);
      if (o?.state === 'failed') return [`${s.hostPath} is not shared at ${s.guestPath}: ${o.why}`];
      if (o?.state === 'mounting') return [`${s.hostPath} is not shared at ${s.guestPath} yet: it is being mounted over the guest link`];
      if (o?.state === 'lost') return [`${s.hostPath} is not shared at ${s.guestPath} now: its guest link stream ended (the link restarted); it is mounted again once the link is back`];
      if (o?.state === 'restarting') return [`${s.hostPath} is not shared at ${s.guestPath} now: ${o.why}; berthd is serving and mounting it again`];
      return [];
    });
  }

  /** A mounted share's stream ended without stop(): the session restarted, and mountAll is due. */
  get lost(): boolean {
    return [...this.outcomes.values()].some((o) => o.state === 'lost');
  }

  /**
   * Mount every share on this session, one after the other; earlier servers are ended first. A new
   * call (a newer session) makes an older one stop where it is and runs after it. Never rejects:
   * failures are outcomes.
   */
  mountAll(session: LinkSession): Promise<void> {
    const gen = ++this.generation;
    const run = this.current.then(() => this.run(session, gen));
    this.current = run;
    return run;
  }

  /** Resolves once no mountAll runs (also those called while waiting). */
  async settled(): Promise<void> {
    for (let p = this.current; ; p = this.current) {
      await p;
      if (p === this.current) return;
    }
  }

  private async run(session: LinkSession, gen: number): Promise<void> {
    if (gen !== this.generation) return;
    await this.endLive();
    for (const s of this.shares) this.set(s.tag, { state: 'mounting' });
    if (this.shares.length === 0) return;
    const rpc = AgentRpc.open(session);
    try {
      for (const s of this.shares) {
        if (gen !== this.generation) return;
        await this.mountOne(session, rpc, s, gen);
      }
    } finally {
      rpc.close();
    }
    this.o.log(`shares over the guest link: ${this.mounted.join(', ') || 'none mounted'}`);
  }

  /** End every share's stream and server (the agent unmounts when its stream ends). */
  async stop(): Promise<void> {
    this.generation++;
    await this.endLive();
  }

  private async mountOne(session: LinkSession, rpc: AgentRpc, s: LinkShare, gen: number, again = ''): Promise<void> {
    // A tag of this session (and of this remount): the agent parks the stream until share.mount names it.
    // The socket is per tag too: the previous server, ending, removes its own socket file.
    const tag = `${s.tag}-${gen}${again}`;
    const listen = ninepListenFor(tag, { platform: this.o.platform ?? process.platform, socketDir: this.o.socketDir });
    let server: NinepServer;
    try {
      server = await NinepServer.start(this.o.binary, { hostPath: s.hostPath, listen, readOnly: s.readOnly, once: true }, { logFile: join(this.o.logsDir, `ninep-link-${s.tag}.log`) });
    } catch (e) {
      return this.fail(s, (e as Error).message);
    }
    let socket: Socket;
    try {
      socket = await dial(server.address);
    } catch (e) {
      await server.stop();
      return this.fail(s, `cannot connect to its berth-ninep-server at ${server.address}: ${(e as Error).message}`);
    }
    const stream = session.open(`ninep:${tag}`);
    spliceStreams(socket, stream, this.o.log, `share ${s.guestPath}`);
    const live = { server, socket, stream };
    this.live.set(s.tag, live);
    stream.once('close', () => {
      if (this.live.get(s.tag) === live) {
        this.live.delete(s.tag);
        if (this.outcomes.get(s.tag)?.state === 'mounted') this.set(s.tag, { state: 'lost' });
      }
      void server.stop();
    });
    try {
      await rpc.call('share.mount', { tag, path: s.guestPath, readOnly: s.readOnly }, this.o.mountTimeoutMs ?? 60_000);
    } catch (e) {
      socket.destroy();
      stream.destroy();
      await server.stop();
      const why = e instanceof AgentRpcError && e.code !== 'link' && e.code !== 'timeout' ? e.message.replace(/^agent rpc share\.mount: \w[\w-]*: /, '') : (e as Error).message;
      if (gen === this.generation) this.fail(s, `the VM could not mount it: ${why}`);
      return;
    }
    if (gen !== this.generation) return;
    this.set(s.tag, { state: 'mounted' });
    this.o.log(`share ${s.hostPath} mounted at ${s.guestPath}${s.readOnly ? ' (read-only)' : ''} over the guest link${again ? ` again (${tag})` : ''}`);
    const mountedAt = Date.now();
    // Ended by berthd (SIGTERM), or by itself when its one connection ended (-once, code 0): not a death.
    void server.exited.then((exit) => {
      if (!died(exit) || gen !== this.generation || session.isClosed) return;
      this.serveAgainLater(session, s, gen, `its berth-ninep-server ${exit.signal ? `was killed (${exit.signal})` : `exited with code ${exit.code}`}`, Date.now() - mountedAt);
    });
  }

  /** A share's server died while its session lives: serve and mount it again after the policy's delay, or give up. */
  private serveAgainLater(session: LinkSession, s: LinkShare, gen: number, what: string, ranMs: number): void {
    const d = afterExit(this.o.restartPolicy ?? DEFAULT_RESTART_POLICY, this.restarts.get(s.tag) ?? { exitsInARow: 0 }, { ranMs });
    this.restarts.set(s.tag, d.history);
    if (d.action === 'give-up') return this.fail(s, `${what}; berthd stopped serving it again: ${d.why}. Restart the VM (berth restart)`);
    this.set(s.tag, { state: 'restarting', why: what });
    this.o.log(`share ${s.hostPath} at ${s.guestPath}: ${what}; serving and mounting it again in ${formatSeconds(d.delayMs)}`);
    const wanted = (): boolean => gen === this.generation && !session.isClosed;
    setTimeout(() => {
      if (!wanted()) return;
      this.current = this.current.then(async () => {
        if (!wanted()) return;
        const rpc = AgentRpc.open(session);
        try {
          await this.mountOne(session, rpc, s, gen, `r${++this.remounts}`);
        } finally {
          rpc.close();
        }
      });
    }, d.delayMs).unref();
  }

  private fail(s: LinkShare, why: string): void {
    this.set(s.tag, { state: 'failed', why });
    this.o.log(`share ${s.hostPath} is not shared at ${s.guestPath}: ${why}`);
  }

  private set(tag: string, o: Outcome): void {
    this.outcomes.set(tag, o);
    this.o.changed?.();
  }

  private async endLive(): Promise<void> {
    const all = [...this.live.values()];
    this.live.clear();
    for (const l of all) {
      l.socket.destroy();
      l.stream.destroy();
    }
    await Promise.all(all.map((l) => l.server.stop()));
  }
}

/** Connect to `unix:/path` or `tcp:host:port` (as berth-ninep-server printed it: "/path" or "127.0.0.1:port"). */
function dial(address: string): Promise<Socket> {
  const tcp = /^(.+):(\d+)$/.exec(address);
  const s = tcp && !address.startsWith('/') ? connect({ host: tcp[1]!, port: Number(tcp[2]) }) : connect(address);
  return new Promise((resolve, reject) => {
    s.once('error', reject);
    s.once('connect', () => {
      s.off('error', reject);
      resolve(s);
    });
  });
}

/** Whether a server's exit was a death: a signal other than berthd's SIGTERM, or a failing exit code. */
function died(exit: NinepServerExit): boolean {
  return exit.signal ? exit.signal !== 'SIGTERM' : exit.code !== 0;
}
