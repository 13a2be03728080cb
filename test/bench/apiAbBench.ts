// Owns: an A/B of the Docker API through Berth's socket on two VM images — two Berths up at once
// (BERTH_IMAGE_DIR of each), taking turns: `/_ping` on a new connection each (serial), `/_ping` with 32
// clients at once, and `docker run --rm img true`, all by the bench client on the host. BENCH_API_B: the
// image directory to judge (required); BENCH_API_A: the one to judge it against (default:
// vm-images/out/x86_64). Not in the default run: `BENCH_ONLY=api-ab`.
import { join } from 'node:path';
import { importTestImage, startBerthHarness, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';
import { repoRoot } from '../image/imageVm.ts';
import { hostRunner } from './apiBench.ts';
import { benchClient } from './benchBerth.ts';
import { median, REPS, type Comparison } from './benchReport.ts';
import { withVmLock } from './vmLock.ts';

const PING_N = Number(process.env.BENCH_PING_N ?? 300);
type Result = { samplesUs: number[]; wallUs: number };

const FIGURES = [
  { figure: '/_ping, serial (new connection each)', unit: 'ms', args: ['http', '-path', '/_ping', '-n', String(PING_N), '-parallel', '1'], value: (r: Result) => median(r.samplesUs) / 1000 },
  { figure: '/_ping, 32 in parallel', unit: 'req/s', args: ['http', '-path', '/_ping', '-n', String(PING_N * 4), '-parallel', '32'], value: (r: Result) => r.samplesUs.length / (r.wallUs / 1e6) },
  { figure: '`docker run --rm img true`', unit: 's', args: ['exec', '-n', '3', '-parallel', '1', '--', 'docker', 'run', '--rm', TEST_IMAGE, 'true'], value: (r: Result) => median(r.samplesUs) / 1e6 },
] as const;


export async function apiAbSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  if (!process.env.BENCH_API_B) throw new Error('BENCH_API_B must name the VM image directory to judge (vm-images/out/x86_64 of another build)');
  const dirs = { A: process.env.BENCH_API_A ?? join(repoRoot, 'vm-images', 'out', 'x86_64'), B: process.env.BENCH_API_B };
  const client = benchClient();
  const values = { A: FIGURES.map(() => [] as number[]), B: FIGURES.map(() => [] as number[]) };
  const berths: { A?: Berth; B?: Berth } = {};
  try {
    await withVmLock('the API A/B', async () => {
      for (const k of ['A', 'B'] as const) {
        const b = startBerthHarness(`bench-apiab-${k.toLowerCase()}`);
        b.env.BERTH_IMAGE_DIR = dirs[k];
        berths[k] = b;
        const r = await b.berth(['start'], { timeoutMs: 600_000 });
        if (r.code !== 0) throw new Error(`${k} (${dirs[k]}): berth start failed (${r.code}): ${r.stderr}`);
        await importTestImage(b);
        await hostRunner(client, b.paths.dockerSocket, b.env)(['exec', '-n', '1', '--', 'docker', 'run', '--rm', TEST_IMAGE, 'true']);
      }
      for (let rep = 0; rep < REPS; rep++) {
        const order = rep % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const);
        for (const [i, f] of FIGURES.entries()) {
          for (const k of order) {
            const b = berths[k]!;
            values[k][i]!.push(f.value(await hostRunner(client, b.paths.dockerSocket, b.env)([...f.args])));
          }
        }
        console.log(`  rep ${rep + 1}: ${FIGURES.map((f, i) => `${f.figure.split(',')[0]} A ${values.A[i]!.at(-1)!.toFixed(2)} B ${values.B[i]!.at(-1)!.toFixed(2)}`).join('; ')}`);
      }
    });
  } finally {
    for (const k of ['A', 'B'] as const) await berths[k]?.cleanup();
  }
  return {
    comparisons: FIGURES.map((f, i) => ({ figure: `${f.figure}: B (${dirs.B})`, unit: f.unit, berth: values.B[i]!, baseline: values.A[i]!, baselineName: `A (${dirs.A})` })),
    details: { pingRequestsPerSample: PING_N, a: dirs.A, b: dirs.B },
  };
}
