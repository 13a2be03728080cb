// Owns: an A/B of the Docker API through Berth's socket on two VM images — two Berths up at once
// (BERTH_IMAGE_DIR of each), taking turns: `/_ping` on a new connection each (serial), `/_ping` with 32
// clients at once, and `docker run --rm img true`, all by the bench client on the host. BENCH_API_B: the
// image directory to judge (required); BENCH_API_A: the one to judge it against (default:
// vm-images/out/x86_64). Not in the default run: `BENCH_ONLY=api-ab`.
import { TEST_IMAGE } from '../engine/engineHarness.ts';
import { hostRunner } from './apiBench.ts';
import { abImageDirs, benchClient, startImagePair, stopImagePair, type ImagePair } from './benchBerth.ts';
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
  const dirs = abImageDirs('BENCH_API');
  const client = benchClient();
  const values = { A: FIGURES.map(() => [] as number[]), B: FIGURES.map(() => [] as number[]) };
  const pair: ImagePair = {};
  try {
    await withVmLock('the API A/B', async () => {
      const berths = await startImagePair('bench-apiab', dirs, pair);
      // One warm-up each (the first docker run pays for the image's first layer mount).
      for (const b of [berths.A, berths.B]) await hostRunner(client, b.paths.dockerSocket, b.env)(['exec', '-n', '1', '--', 'docker', 'run', '--rm', TEST_IMAGE, 'true']);
      for (let rep = 0; rep < REPS; rep++) {
        const order = rep % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const);
        for (const [i, f] of FIGURES.entries()) {
          for (const k of order) {
            const b = berths[k];
            values[k][i]!.push(f.value(await hostRunner(client, b.paths.dockerSocket, b.env)([...f.args])));
          }
        }
        console.log(`  rep ${rep + 1}: ${FIGURES.map((f, i) => `${f.figure.split(',')[0]} A ${values.A[i]!.at(-1)!.toFixed(2)} B ${values.B[i]!.at(-1)!.toFixed(2)}`).join('; ')}`);
      }
    });
  } finally {
    await stopImagePair(pair);
  }
  return {
    comparisons: FIGURES.map((f, i) => ({ figure: `${f.figure}: B (${dirs.B})`, unit: f.unit, berth: values.B[i]!, baseline: values.A[i]!, baselineName: `A (${dirs.A})` })),
    details: { pingRequestsPerSample: PING_N, a: dirs.A, b: dirs.B },
  };
}
