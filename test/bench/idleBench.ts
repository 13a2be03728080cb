// Owns: the idle figures — CPU seconds of QEMU and berthd over 60 s windows with nothing running, and their
// resident memory — against the plain Debian VM's QEMU idling in the same windows (both VMs up at once:
// idle, they barely compete). berthd has no counterpart; its figure stands against the targets.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { workDir } from '../image/imageVm.ts';
import { bootDebian, freshDebianDisk } from './baseline/debianVm.ts';
import { benchBerth } from './benchBerth.ts';
import { REPS, type Comparison } from './benchReport.ts';
import { withVmLock } from './vmLock.ts';

const WINDOW_S = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const SETTLE_S = Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? 30);

/** utime + stime of a process, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / 100;
}

/** Resident and proportional set size in MB (PSS from smaps_rollup). */
export function memoryMB(pid: number): { rss: number; pss: number } {
  const rss = Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0);
  let pss = 0;
  try {
    pss = Number(/^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'))?.[1] ?? 0);
  } catch {
    /* no smaps_rollup */
  }
  return { rss: rss / 1000, pss: pss / 1000 };
}

export async function idleSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  const b = benchBerth('bench-idle');
  const work = workDir('bench-idle');
  let berthdCommand = '';
  const v = { qemu: [] as number[], debianQemu: [] as number[], berthd: [] as number[], berthdRss: [] as number[], berthdPss: [] as number[], qemuRss: [] as number[], debianRss: [] as number[] };
  try {
    await withVmLock('the idle figures', async () => {
      await b.timedStart();
      const debian = await bootDebian(work.dir, freshDebianDisk(join(work.dir, 'debian.qcow2')), { cpus: 2, memoryMiB: 2048, tag: 'idle' });
      try {
        const pids = { berthd: b.berthdPid()!, qemu: b.qemuPid()!, debian: debian.qemu.pid! };
        berthdCommand = readFileSync(`/proc/${pids.berthd}/cmdline`, 'utf8').split('\0').join(' ').trim();
        console.log(`  both VMs up; settling ${SETTLE_S} s, then ${REPS} windows of ${WINDOW_S} s`);
        await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
        for (let rep = 0; rep < REPS; rep++) {
          const before = { berthd: cpuSeconds(pids.berthd), qemu: cpuSeconds(pids.qemu), debian: cpuSeconds(pids.debian) };
          await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
          v.berthd.push(cpuSeconds(pids.berthd) - before.berthd);
          v.qemu.push(cpuSeconds(pids.qemu) - before.qemu);
          v.debianQemu.push(cpuSeconds(pids.debian) - before.debian);
          const m = memoryMB(pids.berthd);
          v.berthdRss.push(m.rss);
          v.berthdPss.push(m.pss);
          v.qemuRss.push(memoryMB(pids.qemu).rss);
          v.debianRss.push(memoryMB(pids.debian).rss);
          console.log(`  window ${rep + 1}: berthd ${v.berthd.at(-1)!.toFixed(2)} cpu-s, ${m.rss.toFixed(0)} MB; QEMU ${v.qemu.at(-1)!.toFixed(2)} cpu-s vs Debian QEMU ${v.debianQemu.at(-1)!.toFixed(2)} cpu-s`);
        }
      } finally {
        await debian.qemu.kill();
      }
    });
  } finally {
    await b.cleanup();
    work.cleanup();
  }
  const pct = (xs: number[]): number[] => xs.map((x) => (100 * x) / WINDOW_S);
  return {
    comparisons: [
      { figure: `QEMU idle CPU over ${WINDOW_S} s`, unit: 'cpu-s', berth: v.qemu, baseline: v.debianQemu, baselineName: 'plain Debian VM' },
      { figure: 'QEMU RSS', unit: 'MB', berth: v.qemuRss, baseline: v.debianRss, baselineName: 'plain Debian VM' },
      { figure: `berthd idle CPU over ${WINDOW_S} s`, unit: 'cpu-s', berth: v.berthd },
      { figure: 'berthd idle CPU', unit: '%core', berth: pct(v.berthd) },
      { figure: 'berthd RSS', unit: 'MB', berth: v.berthdRss },
      { figure: 'berthd PSS', unit: 'MB', berth: v.berthdPss },
    ],
    details: { windowSeconds: WINDOW_S, settleSeconds: SETTLE_S, berthdCommand },
  };
}
