// Owns: the Docker API and container-start figures — `/_ping` (serial and 32 in parallel), `docker version`
// (serial and 32 in parallel) and `docker run --rm img true`, each through Berth's host socket
// ($BERTH_HOME/run/docker.sock) against the same request made inside the guest on dockerd's own socket.
// Both sides run the same programs (the static bench client, the host's static docker CLI copied into
// the guest), and each time is taken by the bench client where the request starts, so neither side
// pays for the exec stream that launched it.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { importTestImage, TEST_IMAGE } from '../engine/engineHarness.ts';
import { benchBerth, benchClient, type BenchBerth } from './benchBerth.ts';
import { median, REPS, type Comparison } from './benchReport.ts';
import { withVmLock } from './vmLock.ts';

const execFileAsync = promisify(execFile);
const GUEST_DIR = '/tmp/bench';
const PING_N = Number(process.env.BENCH_PING_N ?? 200);

type ClientResult = { samplesUs: number[]; wallUs: number; errors: number; firstError?: string };

/** Where the bench client runs: on the host against Berth's socket, or in the guest against dockerd's. */
type Runner = (args: string[]) => Promise<ClientResult>;

function parse(out: string, where: string): ClientResult {
  const r = JSON.parse(out.trim().split('\n').at(-1)!) as ClientResult;
  if (r.errors > 0) throw new Error(`${where}: ${r.errors} of ${r.samplesUs.length} operations failed: ${r.firstError}`);
  return r;
}

export function hostRunner(client: string, socket: string, env: NodeJS.ProcessEnv): Runner {
  return async (args) => {
    const mode = args[0]!;
    const argv = mode === 'http' ? [...args, '-socket', socket] : args;
    const { stdout } = await execFileAsync(client, argv, { env: { ...env, DOCKER_HOST: `unix://${socket}` }, maxBuffer: 64 << 20, timeout: 900_000 });
    return parse(stdout, 'host');
  };
}

export function guestRunner(b: BenchBerth): Runner {
  return async (args) => {
    const mode = args[0]!;
    const argv = mode === 'http' ? [...args, '-socket', '/var/run/docker.sock'] : args;
    const r = await b.guest([`${GUEST_DIR}/benchclient`, ...argv], { env: [`PATH=${GUEST_DIR}:/usr/sbin:/usr/bin:/sbin:/bin`, 'DOCKER_CONFIG=/tmp/bench/docker-config'], timeoutMs: 900_000 });
    if (r.code !== 0) throw new Error(`guest bench client failed (${r.code}): ${r.stderr.toString()}`);
    return parse(r.stdout.toString(), 'guest');
  };
}

/** Put the bench client and the docker CLI into the guest. */
export async function prepareGuest(b: BenchBerth, client: string): Promise<void> {
  await b.sh(`mkdir -p ${GUEST_DIR}/docker-config`);
  await b.upload(client, `${GUEST_DIR}/benchclient`);
  const { stdout } = await execFileAsync('sh', ['-c', 'command -v docker']);
  await b.upload(stdout.trim(), `${GUEST_DIR}/docker`);
}

type Figure = { figure: string; unit: 'ms' | 'req/s' | 's'; args: string[]; value: (r: ClientResult) => number; note?: string };

const ms = (r: ClientResult): number => median(r.samplesUs) / 1000;

const FIGURES: Figure[] = [
  { figure: '/_ping, serial (new connection each)', unit: 'ms', args: ['http', '-path', '/_ping', '-n', String(PING_N), '-parallel', '1'], value: ms },
  { figure: '/_ping, serial (keep-alive)', unit: 'ms', args: ['http', '-path', '/_ping', '-n', String(PING_N), '-parallel', '1', '-keepalive'], value: ms },
  { figure: '/_ping, 32 in parallel', unit: 'req/s', args: ['http', '-path', '/_ping', '-n', String(PING_N * 4), '-parallel', '32'], value: (r) => r.samplesUs.length / (r.wallUs / 1e6) },
  { figure: '/version, serial', unit: 'ms', args: ['http', '-path', '/version', '-n', String(PING_N), '-parallel', '1'], value: ms },
  { figure: '`docker version`, serial', unit: 'ms', args: ['exec', '-n', '5', '-parallel', '1', '--', 'docker', 'version'], value: ms },
  { figure: '`docker version`, 32 in parallel (wall)', unit: 's', args: ['exec', '-n', '32', '-parallel', '32', '--', 'docker', 'version'], value: (r) => r.wallUs / 1e6 },
  { figure: '`docker run --rm img true`', unit: 's', args: ['exec', '-n', '3', '-parallel', '1', '--', 'docker', 'run', '--rm', TEST_IMAGE, 'true'], value: (r) => median(r.samplesUs) / 1e6, note: 'median of 3 runs per sample; default bridge network' },
];

export async function apiSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  const client = benchClient();
  const b = benchBerth('bench-api');
  const values = FIGURES.map(() => ({ berth: [] as number[], guest: [] as number[] }));
  try {
    await withVmLock('the API figures', async () => {
      const boot = await b.timedStart();
      console.log(`  Berth started in ${(boot.ms / 1000).toFixed(1)} s`);
      await importTestImage(b);
      await prepareGuest(b, client);
      const host = hostRunner(client, b.paths.dockerSocket, b.env);
      const guest = guestRunner(b);
      // One warm-up of each path (the first docker run pays for the image's first layer mount).
      await host(['exec', '-n', '1', '--', 'docker', 'run', '--rm', TEST_IMAGE, 'true']);
      await guest(['exec', '-n', '1', '--', 'docker', 'run', '--rm', TEST_IMAGE, 'true']);
      for (let rep = 0; rep < REPS; rep++) {
        for (const [i, f] of FIGURES.entries()) {
          const order: [Runner, number[]][] = [
            [host, values[i]!.berth],
            [guest, values[i]!.guest],
          ];
          if (rep % 2 === 1) order.reverse();
          for (const [run, into] of order) into.push(f.value(await run(f.args)));
        }
        console.log(`  rep ${rep + 1}: ${FIGURES.map((f, i) => `${f.figure.split(',')[0]} ${values[i]!.berth.at(-1)!.toFixed(2)}/${values[i]!.guest.at(-1)!.toFixed(2)}`).join('; ')}`);
      }
    });
  } finally {
    await b.cleanup();
  }
  return {
    comparisons: FIGURES.map((f, i) => ({
      figure: f.figure,
      unit: f.unit,
      berth: values[i]!.berth,
      baseline: values[i]!.guest,
      baselineName: 'in the guest',
      ...(f.note ? { note: f.note } : {}),
    })),
    details: { pingRequestsPerSample: PING_N, client: 'test/bench/client (static Go, same binary both sides)', dockerCli: 'the host docker CLI copied into the guest' },
  };
}
