// Owns: the VM's resource figures while it runs — the agent's `vm.stats` sampled every few seconds,
// the CPU share taken from two samples' jiffies, published as `stats` events.
import type { VmStats } from '../../api/docker.ts';

/** The agent's `vm.stats` answer (docs/protocol.md). */
export type AgentVmStats = {
  cpu: { busyJiffies: number; totalJiffies: number };
  cpus: number;
  memory: { totalBytes: number; availableBytes: number };
  dataDisk?: { totalBytes: number; usedBytes: number; freeBytes: number };
};

/** The stats between two samples; undefined when the counters did not move (or went back: a reboot). */
export function statsBetween(prev: AgentVmStats, now: AgentVmStats, at: number): VmStats | undefined {
  const total = now.cpu.totalJiffies - prev.cpu.totalJiffies;
  const busy = now.cpu.busyJiffies - prev.cpu.busyJiffies;
  if (total <= 0 || busy < 0) return undefined;
  const mem = now.memory;
  return {
    cpu: Math.min(1, Math.max(0, busy / total)),
    memoryUsedBytes: Math.max(0, mem.totalBytes - mem.availableBytes),
    memoryTotalBytes: mem.totalBytes,
    ...(now.dataDisk ? { diskUsedBytes: now.dataDisk.usedBytes, diskTotalBytes: now.dataDisk.totalBytes } : {}),
    at,
  };
}

export type StatsSamplerDeps = {
  /** The agent's RPC call, or undefined when the VM is not running. */
  sample: () => Promise<AgentVmStats> | undefined;
  publish: (stats: VmStats) => void;
  log: (m: string) => void;
  now?: () => number;
};

export class VmStatsSampler {
  private timer: NodeJS.Timeout | undefined;
  private running = false;
  private generation = 0;
  private prev: AgentVmStats | undefined;
  private last: VmStats | undefined;
  private failing = false;

  constructor(
    private readonly deps: StatsSamplerDeps,
    /** Between samples; the first two are `firstMs` apart so the first figures come soon. */
    private readonly intervalMs = 3000,
    private readonly firstMs = 1000,
  ) {}

  /** The last figures published in this run. */
  get latest(): VmStats | undefined {
    return this.last;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.prev = undefined;
    this.last = undefined;
    void this.tick(this.generation);
  }

  stop(): void {
    this.running = false;
    this.generation++;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.prev = undefined;
    this.last = undefined;
  }

  private async tick(generation: number): Promise<void> {
    this.timer = undefined;
    let sample: AgentVmStats | undefined;
    try {
      sample = await this.deps.sample();
      this.failing = false;
    } catch (e) {
      const message = (e as Error).message;
      if (!this.failing) {
        this.deps.log(
          /unknown-method/.test(message)
            ? `the VM's agent does not report stats (${message}): it is older than this berthd; rebuild the VM image (npm run vm:build) and restart the VM`
            : `cannot read the VM's stats (${message}); trying again`,
        );
      }
      this.failing = true;
    }
    if (!this.running || generation !== this.generation) return;
    if (sample) {
      const at = (this.deps.now ?? Date.now)();
      const stats = this.prev ? statsBetween(this.prev, sample, at) : undefined;
      this.prev = sample;
      if (stats) {
        this.last = stats;
        this.deps.publish(stats);
      }
    }
    // A failing agent is asked less often; the first two samples come close together.
    const delay = this.failing ? this.intervalMs * 3 : this.last ? this.intervalMs : this.firstMs;
    this.timer = setTimeout(() => void this.tick(generation), delay);
    this.timer.unref();
  }
}
