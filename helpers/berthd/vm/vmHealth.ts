// Owns: watching a running VM — Docker answering through the link, the guest clock against the host's
// (corrected past 1 s: after host sleep, T-33), and a host sleep seen as a gap in berthd's own timer.
import type { Duplex } from 'node:stream';
import type { ClockStatus, DegradedReason } from '../../api/vmState.ts';
import { pingDocker } from '../guest/dockerPing.ts';
import type { AgentRpc } from '../guest/rpcClient.ts';

/** Guest minus host beyond this is corrected. */
export const MAX_CLOCK_DRIFT_MS = 1000;
/** After setting the guest clock, check it again this soon. */
export const VERIFY_AFTER_CORRECTION_MS = 2000;

export type HealthDeps = {
  openDocker: () => Duplex;
  rpc: () => AgentRpc | undefined;
  setDegraded: (what: DegradedReason['what'], message: string | undefined) => void;
  log: (m: string) => void;
  now?: () => number;
};

export type HealthOptions = { dockerEveryMs: number; clockEveryMs: number; tickMs: number };
export const defaultHealthOptions: HealthOptions = {
  dockerEveryMs: Number(process.env.BERTH_HEALTH_DOCKER_MS ?? 10_000),
  clockEveryMs: Number(process.env.BERTH_HEALTH_CLOCK_MS ?? 30_000),
  tickMs: 1000,
};

/** Guest minus host in ms, from one time.get round trip (the host time taken at its middle). */
export async function measureClockDrift(rpc: AgentRpc, now: () => number = Date.now): Promise<{ driftMs: number; rttMs: number }> {
  const t0 = now();
  const r = await rpc.call<{ unixNanos: number }>('time.get', {}, 5000);
  const t1 = now();
  return { driftMs: r.unixNanos / 1e6 - (t0 + t1) / 2, rttMs: t1 - t0 };
}

export class VmHealth {
  clock: ClockStatus | undefined;
  private timer: NodeJS.Timeout | undefined;
  private lastTick = 0;
  private lastDocker = 0;
  private lastClock = 0;
  private dockerFailures = 0;
  private busy = false;
  private readonly now: () => number;

  constructor(
    private readonly deps: HealthDeps,
    private readonly opts: HealthOptions = defaultHealthOptions,
  ) {
    this.now = deps.now ?? Date.now;
  }

  start(): void {
    this.stop();
    this.lastTick = this.now();
    this.timer = setInterval(() => void this.tick(), this.opts.tickMs);
    this.timer.unref();
    void this.checkClock('the VM started');
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  private async tick(): Promise<void> {
    const now = this.now();
    const gap = now - this.lastTick;
    this.lastTick = now;
    if (this.busy) return;
    this.busy = true;
    try {
      // A timer that fires far later than asked means this host slept (or berthd was stopped): the guest clock is behind.
      if (gap > this.opts.tickMs + 5000) await this.checkClock(`the host resumed after ${Math.round(gap / 1000)} s asleep`);
      else if (now - this.lastClock >= this.opts.clockEveryMs) await this.checkClock('periodic check');
      if (now - this.lastDocker >= this.opts.dockerEveryMs) await this.checkDocker();
    } finally {
      this.busy = false;
    }
  }

  /** Ask dockerd through the link; two failures in a row mark Docker degraded, one answer clears it. */
  async checkDocker(): Promise<boolean> {
    this.lastDocker = this.now();
    try {
      await pingDocker(this.deps.openDocker, 5000);
      this.dockerFailures = 0;
      this.deps.setDegraded('docker', undefined);
      this.deps.setDegraded('agent', undefined);
      return true;
    } catch (e) {
      this.dockerFailures++;
      if (this.dockerFailures >= 2) this.deps.setDegraded('docker', `Docker in the VM does not answer (${(e as Error).message}); it is restarted by the VM's supervisor — if this lasts, run \`berth restart\``);
      return false;
    }
  }

  /** Compare the guest clock with the host's and set it when it drifted past 1 s. */
  async checkClock(why: string): Promise<ClockStatus | undefined> {
    this.lastClock = this.now();
    const rpc = this.deps.rpc();
    if (!rpc) return undefined;
    try {
      const { driftMs, rttMs } = await measureClockDrift(rpc, this.now);
      const status: ClockStatus = { driftMs, checkedAt: this.now(), ...(this.clock?.lastCorrection ? { lastCorrection: this.clock.lastCorrection } : {}) };
      if (Math.abs(driftMs) > MAX_CLOCK_DRIFT_MS) {
        // Aim at the host's time when the request lands: half a round trip from now.
        await rpc.call('time.set', { unixNanos: (this.now() + rttMs / 2) * 1e6 }, 5000);
        status.lastCorrection = { at: this.now(), movedMs: -driftMs, why };
        // What status and doctor show is the clock as it is now, not the drift just corrected.
        status.driftMs = (await measureClockDrift(rpc, this.now)).driftMs;
        status.checkedAt = this.now();
        // A guest just resumed may still jump as its kernel catches up on the time it was frozen:
        // look again in 2 s rather than at the next periodic check.
        this.lastClock = this.now() - this.opts.clockEveryMs + VERIFY_AFTER_CORRECTION_MS;
        this.deps.log(`guest clock was ${(Math.abs(driftMs) / 1000).toFixed(2)} s ${driftMs > 0 ? 'ahead' : 'behind'} (${why}); set it from the host`);
      }
      this.clock = status;
      this.deps.setDegraded('clock', undefined);
      return status;
    } catch (e) {
      this.deps.setDegraded('clock', `the guest clock could not be checked or set (${(e as Error).message})`);
      return undefined;
    }
  }
}
