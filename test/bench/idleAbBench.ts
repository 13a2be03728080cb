// Owns: an A/B of berthd's idle cost — two Berths idling side by side on the same image, each started from
// its own bundle directory (scripts/bundle.mjs output, e.g. a worktree's dist/), measured in the same windows.
// BENCH_IDLE_B: the bundle directory to judge (required); BENCH_IDLE_A: the one to judge it against
// (default: this checkout's dist/, bundled fresh). Not in the default run: `BENCH_ONLY=idle-ab`.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { startBerthHarness, type Berth } from '../engine/engineHarness.ts';
import { berthCli, runCli } from './benchBerth.ts';
import { REPS, type Comparison } from './benchReport.ts';
import { cpuSeconds, memoryMB } from './idleBench.ts';
import { withVmLock } from './vmLock.ts';

const WINDOW_S = Number(process.env.BENCH_IDLE_SECONDS ?? 60);
const SETTLE_S = Number(process.env.BENCH_IDLE_SETTLE_SECONDS ?? 30);

/** The berth CLI of a bundle directory, checked before any VM starts. */
function cliOf(dir: string, variable: string): string {
  const cli = join(resolve(dir), 'berth.mjs');
  if (!existsSync(cli) || !existsSync(join(resolve(dir), 'berthd.mjs'))) {
    throw new Error(`${variable}=${dir} holds no berth.mjs and berthd.mjs; make them with \`node scripts/bundle.mjs\` in that checkout`);
  }
  return cli;
}

export async function idleAbSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  if (!process.env.BENCH_IDLE_B) throw new Error('BENCH_IDLE_B must name the bundle directory to judge (e.g. a worktree\'s dist/); BENCH_IDLE_A defaults to this checkout\'s dist/');
  const dirs = { A: process.env.BENCH_IDLE_A ?? join(berthCli().cli, '..'), B: process.env.BENCH_IDLE_B };
  const clis = { A: cliOf(dirs.A, 'BENCH_IDLE_A'), B: cliOf(dirs.B, 'BENCH_IDLE_B') };
  const v = { aCpu: [] as number[], bCpu: [] as number[], aRss: [] as number[], bRss: [] as number[], aPss: [] as number[], bPss: [] as number[] };
  const berths: { A?: Berth; B?: Berth } = {};
  try {
    await withVmLock('the idle A/B', async () => {
      for (const k of ['A', 'B'] as const) {
        const h = startBerthHarness(`bench-idle-${k.toLowerCase()}`);
        // cleanup() ends berthd and QEMU by their pids, whichever bundle started them.
        berths[k] = h;
        const r = await runCli(['start'], h.env, 600_000, clis[k]);
        if (r.code !== 0) throw new Error(`${k} (${dirs[k]}): berth start failed (${r.code}):\n${r.stdout}${r.stderr}`);
      }
      const pids = { A: berths.A!.berthdPid()!, B: berths.B!.berthdPid()! };
      console.log(`  both up (berthd A ${pids.A}, B ${pids.B}); settling ${SETTLE_S} s, then ${REPS} windows of ${WINDOW_S} s`);
      await new Promise((r) => setTimeout(r, SETTLE_S * 1000));
      for (let rep = 0; rep < REPS; rep++) {
        const a0 = cpuSeconds(pids.A);
        const b0 = cpuSeconds(pids.B);
        await new Promise((r) => setTimeout(r, WINDOW_S * 1000));
        v.aCpu.push(cpuSeconds(pids.A) - a0);
        v.bCpu.push(cpuSeconds(pids.B) - b0);
        const ma = memoryMB(pids.A);
        const mb = memoryMB(pids.B);
        v.aRss.push(ma.rss);
        v.bRss.push(mb.rss);
        v.aPss.push(ma.pss);
        v.bPss.push(mb.pss);
        console.log(`  window ${rep + 1}: A ${v.aCpu.at(-1)!.toFixed(2)} cpu-s, ${ma.rss.toFixed(1)} MB | B ${v.bCpu.at(-1)!.toFixed(2)} cpu-s, ${mb.rss.toFixed(1)} MB`);
      }
    });
  } finally {
    for (const k of ['A', 'B'] as const) await berths[k]?.cleanup();
  }
  const pct = (xs: number[]): number[] => xs.map((x) => (100 * x) / WINDOW_S);
  const base = { baselineName: `A (${dirs.A})` };
  return {
    comparisons: [
      { figure: `berthd idle CPU over ${WINDOW_S} s, B (${dirs.B})`, unit: 'cpu-s', berth: v.bCpu, baseline: v.aCpu, ...base },
      { figure: 'berthd idle CPU, B', unit: '%core', berth: pct(v.bCpu), baseline: pct(v.aCpu), ...base },
      { figure: 'berthd RSS, B', unit: 'MB', berth: v.bRss, baseline: v.aRss, ...base },
      { figure: 'berthd PSS, B', unit: 'MB', berth: v.bPss, baseline: v.aPss, ...base },
    ],
    details: { windowSeconds: WINDOW_S, settleSeconds: SETTLE_S, a: dirs.A, b: dirs.B },
  };
}
