// Owns: tests of vmStatsSampler.ts — the CPU share from two samples of the agent's jiffies, memory and
// disk figures, publishing only from the second sample, stopping, and an agent without vm.stats.
import { describe, expect, it } from 'vitest';
import { vmStatsSchema } from '../../api/docker.ts';
import type { VmStats } from '../../api/docker.ts';
import { statsBetween, VmStatsSampler, type AgentVmStats } from './vmStatsSampler.ts';

const sample = (busy: number, total: number, availableBytes = 2 ** 30): AgentVmStats => ({
  cpu: { busyJiffies: busy, totalJiffies: total },
  cpus: 2,
  memory: { totalBytes: 2 ** 31, availableBytes },
  dataDisk: { totalBytes: 100e9, usedBytes: 3e9, freeBytes: 92e9 },
});

async function until(cond: () => boolean, what: string, ms = 3000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('statsBetween', () => {
  it('the CPU share is busy jiffies over all jiffies between the samples; memory used is total less available', () => {
    const s = statsBetween(sample(1000, 10_000), sample(1050, 10_200, 1.5 * 2 ** 30), 42);
    expect(s).toEqual({ cpu: 0.25, memoryUsedBytes: 0.5 * 2 ** 30, memoryTotalBytes: 2 ** 31, diskUsedBytes: 3e9, diskTotalBytes: 100e9, at: 42 });
    expect(vmStatsSchema.parse(s)).toEqual(s);
  });

  it('no figures when the counters did not move or went back (the guest rebooted); no disk when the agent had none', () => {
    expect(statsBetween(sample(10, 100), sample(10, 100), 1)).toBeUndefined();
    expect(statsBetween(sample(10, 100), sample(5, 50), 1)).toBeUndefined();
    const { dataDisk: _, ...noDisk } = sample(20, 200);
    expect(statsBetween(sample(10, 100), noDisk, 1)).toEqual({ cpu: 0.1, memoryUsedBytes: 2 ** 30, memoryTotalBytes: 2 ** 31, at: 1 });
  });
});

describe('VmStatsSampler', () => {
  it('publishes from the second sample on, every interval, until stopped', async () => {
    const answers = [sample(0, 100), sample(50, 200), sample(50, 300), sample(150, 400)];
    let asked = 0;
    const published: VmStats[] = [];
    const sampler = new VmStatsSampler({ sample: () => Promise.resolve(answers[Math.min(asked++, answers.length - 1)]!), publish: (s) => published.push(s), log: () => undefined, now: () => 7 }, 20, 5);
    sampler.start();
    await until(() => published.length === 3, 'three figures');
    sampler.stop();
    expect(published.map((s) => s.cpu)).toEqual([0.5, 0, 1]);
    expect(sampler.latest).toBeUndefined();
    const after = asked;
    await new Promise((r) => setTimeout(r, 80));
    expect(asked).toBe(after);
  });

  it('skips a tick when the VM is not running (no RPC) and goes on', async () => {
    let n = 0;
    const published: VmStats[] = [];
    const sampler = new VmStatsSampler({ sample: () => (n++ === 1 ? undefined : Promise.resolve(sample(n * 10, n * 100))), publish: (s) => published.push(s), log: () => undefined }, 10, 5);
    sampler.start();
    await until(() => published.length === 1, 'figures after the gap');
    sampler.stop();
    expect(published[0]!.cpu).toBeCloseTo(0.1);
  });

  it('an agent without vm.stats: one log line that says to rebuild the image, and no figures', async () => {
    const logs: string[] = [];
    const published: VmStats[] = [];
    let asked = 0;
    const sampler = new VmStatsSampler(
      {
        sample: () => (asked++, Promise.reject(new Error('agent rpc vm.stats: unknown-method: unknown method "vm.stats"'))),
        publish: (s) => published.push(s),
        log: (m) => logs.push(m),
      },
      5,
      5,
    );
    sampler.start();
    await until(() => asked >= 3, 'three attempts');
    sampler.stop();
    expect(published).toEqual([]);
    expect(logs).toHaveLength(1);
    expect(logs[0]).toMatch(/does not report stats .* rebuild the VM image \(npm run vm:build\) and restart the VM$/);
  });
});
