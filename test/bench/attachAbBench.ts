// Owns: an A/B of what bytes through `docker run` cost the guest — two Berths up at once on two VM images
// (BERTH_IMAGE_DIR of each), taking turns: N MB into a container's stdin and N MB out of its stdout, with
// the QEMU process's CPU seconds (all the guest's work, whatever the machine's load does to the clock)
// and the guest agent's. BENCH_ATTACH_B: the image directory to judge (required); BENCH_ATTACH_A: the
// one to judge it against (default: vm-images/out/x86_64); BENCH_ATTACH_MB (default 192).
// Not in the default run: `BENCH_ONLY=attach-ab`.
import { readFileSync } from 'node:fs';
import { onGuestAgent, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';
import { abImageDirs, startImagePair, stopImagePair, type ImagePair } from './benchBerth.ts';
import { REPS, type Comparison } from './benchReport.ts';
import { cpuSeconds } from './idleBench.ts';
import { withVmLock } from './vmLock.ts';

const MB = Number(process.env.BENCH_ATTACH_MB ?? 192);

/** utime + stime of the guest's `berth-agent serve`, in seconds, read inside the VM. */
async function agentSeconds(b: Berth): Promise<number> {
  const out = await onGuestAgent(b, 'cut -d" " -f14,15 /proc/$p/stat');
  const [u, s] = out.split(' ').map(Number);
  if (!Number.isFinite(u) || !Number.isFinite(s)) throw new Error(`reading the agent's CPU time failed: "${out}"`);
  return (u! + s!) / 100;
}

/** N MB into `cat > /dev/null` in a container (no log driver: dockerd's logging is not what is measured). */
async function intoContainer(b: Berth): Promise<void> {
  const child = b.spawnDocker(['run', '-i', '--rm', '--log-driver', 'none', TEST_IMAGE, 'sh', '-c', 'cat > /dev/null']);
  const chunk = Buffer.alloc(1024 * 1024, 7);
  for (let i = 0; i < MB; i++) if (!child.stdin!.write(chunk)) await new Promise((r) => child.stdin!.once('drain', r));
  child.stdin!.end();
  const code = await new Promise<number | null>((r) => child.on('close', r));
  if (code !== 0) throw new Error(`docker run -i exited ${code}`);
}

/** N MB out of a container's stdout, counted on the host. */
async function outOfContainer(b: Berth): Promise<void> {
  const child = b.spawnDocker(['run', '--rm', '--log-driver', 'none', TEST_IMAGE, 'head', '-c', String(MB * 1024 * 1024), '/dev/zero']);
  let n = 0;
  child.stdout!.on('data', (d: Buffer) => (n += d.length));
  await new Promise((r) => child.on('close', r));
  if (n !== MB * 1024 * 1024) throw new Error(`${n} bytes came out of the container, not ${MB * 1024 * 1024}`);
}

export async function attachAbSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  const dirs = abImageDirs('BENCH_ATTACH');
  type Sample = { qemu: number; agent: number; seconds: number };
  const s = { A: { in: [] as Sample[], out: [] as Sample[] }, B: { in: [] as Sample[], out: [] as Sample[] } };
  const pair: ImagePair = {};
  try {
    await withVmLock('the attach A/B', async () => {
      const berths = await startImagePair('bench-attach', dirs, pair);
      for (let rep = 0; rep < REPS; rep++) {
        for (const k of rep % 2 === 0 ? (['A', 'B'] as const) : (['B', 'A'] as const)) {
          const b = berths[k];
          const qemuPid = Number(readFileSync(b.paths.qemuPidFile, 'utf8'));
          for (const [way, move] of [['in', intoContainer], ['out', outOfContainer]] as const) {
            const q0 = cpuSeconds(qemuPid);
            const a0 = await agentSeconds(b);
            const t0 = Date.now();
            await move(b);
            const sample = { seconds: (Date.now() - t0) / 1000, qemu: cpuSeconds(qemuPid) - q0, agent: (await agentSeconds(b)) - a0 };
            s[k][way].push(sample);
            console.log(`  rep ${rep + 1} ${k} ${way}: ${(MB / sample.seconds).toFixed(1)} MB/s, QEMU ${sample.qemu.toFixed(1)} cpu-s, agent ${sample.agent.toFixed(2)} cpu-s`);
          }
        }
      }
    });
  } finally {
    await stopImagePair(pair);
  }
  const base = { baselineName: `A (${dirs.A})` };
  const rows = (way: 'in' | 'out', label: string): Comparison[] => [
    { figure: `${MB} MB ${label}: QEMU CPU, B (${dirs.B})`, unit: 'cpu-s', berth: s.B[way].map((x) => x.qemu), baseline: s.A[way].map((x) => x.qemu), ...base },
    { figure: `${MB} MB ${label}: agent CPU, B`, unit: 'cpu-s', berth: s.B[way].map((x) => x.agent), baseline: s.A[way].map((x) => x.agent), ...base },
    { figure: `${MB} MB ${label}: rate, B`, unit: 'MB/s', berth: s.B[way].map((x) => MB / x.seconds), baseline: s.A[way].map((x) => MB / x.seconds), ...base },
  ];
  return { comparisons: [...rows('in', 'into docker run -i'), ...rows('out', 'out of docker run')], details: { mb: MB, a: dirs.A, b: dirs.B } };
}
