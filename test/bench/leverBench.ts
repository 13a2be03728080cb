// Owns: the A/B figure used to judge one lever — `berth start` to Docker ready, cold and warm, with two
// environments for berthd (e.g. BERTH_IMAGE_DIR of another image build), alternating, with the phases
// (cold and warm) and, cold, when the guest's data disk was ready.
// BENCH_LEVER_A / BENCH_LEVER_B: JSON objects of environment variables (A defaults to {}: as shipped);
// BENCH_LEVER_NAME names the lever in the report.
import { benchBerth, type BootSample } from './benchBerth.ts';
import { REPS, type Comparison } from './benchReport.ts';
import type { Phases } from './bootTimeline.ts';
import { withVmLock } from './vmLock.ts';

const envOf = (name: string): Record<string, string> => JSON.parse(process.env[name] ?? '{}') as Record<string, string>;

export async function leverSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  const a = envOf('BENCH_LEVER_A');
  const bEnv = envOf('BENCH_LEVER_B');
  if (Object.keys(bEnv).length === 0) throw new Error('BENCH_LEVER_B must name the environment of the lever to measure, e.g. {"BERTH_IMAGE_DIR":"/tmp/img"}');
  const name = process.env.BENCH_LEVER_NAME ?? JSON.stringify(bEnv);
  const s = { aCold: [] as BootSample[], bCold: [] as BootSample[], aWarm: [] as BootSample[], bWarm: [] as BootSample[] };
  for (let rep = 0; rep < REPS; rep++) {
    await withVmLock(`lever rep ${rep + 1}`, async () => {
      const A = benchBerth('bench-lever-a', a);
      const B = benchBerth('bench-lever-b', bEnv);
      try {
        const boot = async (x: typeof A, into: BootSample[]): Promise<void> => {
          into.push(await x.timedStart());
          await x.stop();
        };
        const steps = [() => boot(A, s.aCold), () => boot(B, s.bCold), () => boot(A, s.aWarm), () => boot(B, s.bWarm)];
        if (rep % 2 === 1) [steps[0], steps[1], steps[2], steps[3]] = [steps[1]!, steps[0]!, steps[3]!, steps[2]!];
        for (const step of steps) await step();
      } finally {
        await A.cleanup();
        await B.cleanup();
      }
      const l = (x: BootSample[]): string => (x.at(-1)!.ms / 1000).toFixed(1);
      console.log(`  rep ${rep + 1}: cold A ${l(s.aCold)} B ${l(s.bCold)} s; warm A ${l(s.aWarm)} B ${l(s.bWarm)} s`);
    });
  }
  const secs = (x: BootSample[]): number[] => x.map((y) => y.ms / 1000);
  const comparisons: Comparison[] = [
    { figure: `lever ${name}: boot cold`, unit: 's', berth: secs(s.bCold), baseline: secs(s.aCold), baselineName: 'without it' },
    { figure: `lever ${name}: boot warm`, unit: 's', berth: secs(s.bWarm), baseline: secs(s.aWarm), baselineName: 'without it' },
  ];
  for (const [when, bs, as] of [['cold', s.bCold, s.aCold], ['warm', s.bWarm, s.aWarm]] as const) {
    for (const k of ['beforeQemuS', 'firmwareS', 'kernelS', 'initS', 'dockerS', 'hostS'] as (keyof Phases)[]) {
      const pick = (x: BootSample[]): number[] => x.map((y) => y.phases?.[k] ?? NaN);
      comparisons.push({ figure: `lever ${name}: ${when} phase ${k.replace(/S$/, '')}`, unit: 's', berth: pick(bs), baseline: pick(as), baselineName: 'without it' });
    }
  }
  // The guest's uptime when its data disk is mounted (the disk step's marker), cold: what a formatted disk saves.
  const diskReady = (x: BootSample[]): number[] => x.map((y) => y.markers?.find((m) => m.line.startsWith('berth: disk ready'))?.uptimeS ?? NaN);
  comparisons.push({ figure: `lever ${name}: cold, guest uptime at "disk ready"`, unit: 's', berth: diskReady(s.bCold), baseline: diskReady(s.aCold), baselineName: 'without it' });
  return { comparisons, details: { lever: name, a, b: bEnv, samples: s } };
}
