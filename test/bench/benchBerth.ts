// Owns: a real Berth for the benchmark (engineHarness's private BERTH_HOME and CLI) plus what the figures
// need of it — a timed `berth start` with its boot phases, commands in the guest through berthd's exec
// stream, files copied into the guest, the pids of berthd and QEMU, and the bench client binary.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { buildGoForTest } from '../../helpers/berthd/host/goTestBuild.ts';
import { runInGuest, type RunInGuestResult } from '../../helpers/berthd/guest/execSession.ts';
import { openExecConnection } from '../../helpers/cli/guestExecClient.ts';
import { importTestImage, startBerthHarness, type Berth } from '../engine/engineHarness.ts';
import { repoRoot } from '../image/imageVm.ts';
import { BERTH_MARKERS, ConsoleTimeline, phases, processStartMs, type Phases } from './bootTimeline.ts';

const cacheDir = join(repoRoot, 'test', 'bench', '.cache');

/**
 * The CLI the figures drive. By default the bundles users run (dist/berth.mjs starts dist/berthd.mjs),
 * made fresh from the sources by scripts/bundle.mjs once per run; BENCH_BERTHD=source runs the
 * TypeScript through tsx (helpers/cli/bin/berth.mjs) instead.
 */
let bundled: string | undefined;
export function berthCli(): { mode: 'bundle' | 'source'; cli: string } {
  if (process.env.BENCH_BERTHD === 'source') return { mode: 'source', cli: join(repoRoot, 'helpers', 'cli', 'bin', 'berth.mjs') };
  if (!bundled) {
    execFileSync(process.execPath, [join(repoRoot, 'scripts', 'bundle.mjs')], { stdio: 'inherit' });
    bundled = join(repoRoot, 'dist', 'berth.mjs');
  }
  return { mode: 'bundle', cli: bundled };
}

/** Run a berth CLI (default: berthCli()'s) with args; its exit code and output, killed after timeoutMs. */
export function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number, cli = berthCli().cli): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
  });
}

/** Build (once per source change) the static Go client the figures run on both sides. */
export function benchClient(): string {
  const out = join(cacheDir, 'benchclient');
  const src = join(repoRoot, 'test', 'bench', 'client');
  const newest = Math.max(...['main.go', 'go.mod'].map((f) => statSync(join(src, f)).mtimeMs));
  if (!existsSync(out) || statSync(out).mtimeMs < newest) {
    mkdirSync(cacheDir, { recursive: true });
    buildGoForTest(src, out, { flags: ['-ldflags=-s -w'], target: { goos: 'linux', goarch: 'amd64' } });
  }
  return out;
}

/** One boot: its time, its phases, and the console markers with the guest uptime they carry. */
export type BootSample = { ms: number; phases: Phases | undefined; markers?: { line: string; uptimeS: number }[] };

export type BenchBerth = Berth & {
  /** `berth start` to Docker answering on the host socket, with the boot's phases. */
  timedStart: () => Promise<BootSample>;
  stop: () => Promise<void>;
  /** Run argv in the guest (root, no tty) through berthd's exec stream. */
  guest: (argv: string[], opts?: { stdin?: Buffer; timeoutMs?: number; env?: string[] }) => Promise<RunInGuestResult>;
  /** Run a shell script in the guest; throws with its stderr when it fails. */
  sh: (script: string, timeoutMs?: number) => Promise<string>;
  /** Copy a host file into the guest (its tmpfs root), executable. */
  upload: (hostFile: string, guestPath: string) => Promise<void>;
  qemuPid: () => number | undefined;
};

export function benchBerth(prefix: string, env: NodeJS.ProcessEnv = {}): BenchBerth {
  const h = startBerthHarness(prefix);
  Object.assign(h.env, env);
  const b: Berth = { ...h, berth: (args, opts) => runCli(args, opts?.env ? { ...h.env, ...opts.env } : h.env, opts?.timeoutMs ?? 300_000) };
  const guest: BenchBerth['guest'] = async (argv, opts = {}) => {
    const conn = await openExecConnection(b.paths.controlSocket);
    return runInGuest(() => conn, argv, { ...(opts.stdin ? { stdin: opts.stdin } : {}), timeoutMs: opts.timeoutMs ?? 600_000, ...(opts.env ? { env: opts.env } : {}) });
  };
  const qemuPid = (): number | undefined => {
    try {
      return Number(readFileSync(b.paths.qemuPidFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  return {
    ...b,
    qemuPid,
    timedStart: async () => {
      // The log of an earlier boot would be read as this one's: QEMU makes a new file.
      rmSync(b.paths.consoleLog, { force: true });
      const timeline = new ConsoleTimeline(b.paths.consoleLog);
      const t0 = Date.now();
      const r = await b.berth(['start'], { timeoutMs: 600_000 });
      const end = Date.now();
      timeline.stop();
      if (r.code !== 0) throw new Error(`berth start failed (${r.code}): ${r.stderr}${r.stdout}`);
      const pid = qemuPid();
      const markers = timeline.markers.filter((m) => m.uptimeS !== undefined).map((m) => ({ line: m.line.replace(/ \(uptime [\d.]+s\)\s*$/, ''), uptimeS: m.uptimeS! }));
      return { ms: end - t0, phases: pid ? phases(timeline, BERTH_MARKERS, t0, processStartMs(pid), end) : undefined, markers };
    },
    stop: async () => {
      const r = await b.berth(['stop'], { timeoutMs: 120_000 });
      if (r.code !== 0) throw new Error(`berth stop failed (${r.code}): ${r.stderr}`);
    },
    guest,
    sh: async (script, timeoutMs) => {
      const r = await guest(['/bin/sh', '-c', script], timeoutMs ? { timeoutMs } : {});
      if (r.code !== 0) throw new Error(`guest script failed (exit ${r.code}): ${script}\n${r.stderr.toString()}${r.stdout.toString()}`);
      return r.stdout.toString();
    },
    upload: async (hostFile, guestPath) => {
      const r = await guest(['/bin/sh', '-c', 'cat >"$0" && chmod 755 "$0"', guestPath], { stdin: readFileSync(hostFile) });
      if (r.code !== 0) throw new Error(`copying ${hostFile} into the guest failed: ${r.stderr.toString()}`);
    },
  };
}

/** The two VM image directories of an A/B section: B from `${prefix}_B` (required), A from `${prefix}_A` or this tree's build. */
export function abImageDirs(prefix: string): { A: string; B: string } {
  const b = process.env[`${prefix}_B`];
  if (!b) throw new Error(`${prefix}_B must name the VM image directory to judge (vm-images/out/x86_64 of another build)`);
  return { A: process.env[`${prefix}_A`] ?? join(repoRoot, 'vm-images', 'out', 'x86_64'), B: b };
}

export type ImagePair = { A?: Berth; B?: Berth };

/**
 * Start Berths A and B, up at once, each on its VM image directory, with the test image imported. Each
 * goes into `pair` as soon as it exists, so the caller's `stopImagePair` also reaches a half-started pair.
 */
export async function startImagePair(prefix: string, dirs: { A: string; B: string }, pair: ImagePair): Promise<{ A: Berth; B: Berth }> {
  for (const k of ['A', 'B'] as const) {
    const b = startBerthHarness(`${prefix}-${k.toLowerCase()}`);
    b.env.BERTH_IMAGE_DIR = dirs[k];
    pair[k] = b;
    const r = await b.berth(['start'], { timeoutMs: 600_000 });
    if (r.code !== 0) throw new Error(`${k} (${dirs[k]}): berth start failed (${r.code}): ${r.stderr}`);
    await importTestImage(b);
  }
  return { A: pair.A!, B: pair.B! };
}

export async function stopImagePair(pair: ImagePair): Promise<void> {
  for (const k of ['A', 'B'] as const) await pair[k]?.cleanup();
}
