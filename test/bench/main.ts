// `npm run bench`: Berth's benchmark suite. Each figure is measured next to its baseline in the same run,
// alternating, and reported as medians with the machine's description; nothing asserts a time.
// BENCH_ONLY=boot,image,api,streams,shares,idle picks sections (and `lever`, an A/B of one lever: leverBench.ts;
// `idle-ab`, berthd's idle cost from two bundle directories: idleAbBench.ts; `attach-ab`, what bytes through
// `docker run` cost the guest on two VM images: attachAbBench.ts; `api-ab`, the Docker API through the
// socket on two VM images: apiAbBench.ts);
// BENCH_QUICK=1 takes 3 samples instead of 5.
// VMs boot: run it as `flock /tmp/berth-vm.lock npm run bench`, or with BENCH_LOCK=rep (and no flock)
// for the suite to take the lock one repetition at a time. Results: test/bench/results/<date>.json.
import { apiAbSection } from './apiAbBench.ts';
import { apiSection } from './apiBench.ts';
import { attachAbSection } from './attachAbBench.ts';
import { bootSection } from './bootBench.ts';
import { loadavg, machine, REPS, table, toRow, writeSection, type Comparison } from './benchReport.ts';
import { idleAbSection } from './idleAbBench.ts';
import { idleSection } from './idleBench.ts';
import { imageSection } from './imageBench.ts';
import { leverSection } from './leverBench.ts';
import { sharesSection } from './shares.bench.ts';
import { streamSection } from './streamBench.ts';
import { lockPerRep } from './vmLock.ts';

type Section = () => Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }>;

const SECTIONS: Record<string, { title: string; run: Section }> = {
  boot: { title: 'Boot', run: bootSection },
  image: { title: 'Image', run: imageSection },
  api: { title: 'Docker API and container start', run: apiSection },
  streams: { title: 'Streams', run: streamSection },
  shares: { title: 'Shared folders', run: sharesSection },
  idle: { title: 'Idle', run: idleSection },
  // Not in the default run: an A/B of one lever (BENCH_LEVER_A/B/NAME), stored under its name, and an A/B
  // of berthd's idle cost between two bundle directories (BENCH_IDLE_A/B), and of what bytes through
  // `docker run` cost the guest with two VM images (BENCH_ATTACH_A/B), and of the Docker API through the
  // socket with two VM images (BENCH_API_A/B).
  lever: { title: 'Lever A/B', run: leverSection },
  'idle-ab': { title: 'Idle A/B of berthd', run: idleAbSection },
  'attach-ab': { title: 'docker run attach A/B of two images', run: attachAbSection },
  'api-ab': { title: 'Docker API A/B of two images', run: apiAbSection },
};
const DEFAULT = ['boot', 'image', 'api', 'streams', 'shares', 'idle'];

async function main(): Promise<void> {
  const only = (process.env.BENCH_ONLY ?? DEFAULT.join(',')).split(',').map((s) => s.trim()).filter(Boolean);
  const unknown = only.filter((s) => !(s in SECTIONS));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY names unknown sections: ${unknown.join(', ')}; known: ${Object.keys(SECTIONS).join(', ')}`);
  console.log(`Berth benchmark: ${only.join(', ')}; ${REPS} samples per figure; lock ${lockPerRep ? 'taken per repetition' : 'held by the caller'}`);
  console.log(JSON.stringify(machine()));
  const tables: string[] = [];
  let failed = 0;
  for (const name of only) {
    const s = SECTIONS[name]!;
    console.log(`\n== ${s.title} (load ${loadavg()})`);
    const startedAt = new Date().toISOString();
    const t0 = Date.now();
    const loadBefore = loadavg();
    try {
      const { comparisons, details } = await s.run();
      const rows = comparisons.map(toRow);
      const key = (name === 'lever' ? `lever ${process.env.BENCH_LEVER_NAME ?? process.env.BENCH_LEVER_B}` : name) + (process.env.BENCH_BERTHD === 'source' ? ' (berthd from source)' : '');
      const out = writeSection({ section: key, startedAt, seconds: (Date.now() - t0) / 1000, loadBefore, loadAfter: loadavg(), reps: REPS, rows, samples: comparisons, details });
      const t = table(s.title, rows);
      tables.push(t);
      console.log(`\n${t}\n(written to ${out})`);
    } catch (e) {
      failed++;
      console.error(`section ${name} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }
  console.log(`\n${tables.join('\n\n')}`);
  if (failed > 0) process.exitCode = 1;
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
