// Owns: making sure a berthd answers on a control socket — ask it, and when nothing answers start
// one (detached, output appended to its log) and wait for it. Shared by the CLI and the desktop app.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { call, DaemonUnreachable } from './controlClient.ts';

/** berthd exits with this code when another berthd already holds its lock. */
export const EXIT_ALREADY_RUNNING = 3;

/** true when a berthd answers `status` on the socket; false when nothing listens there. */
export async function daemonAnswers(controlSocket: string, timeoutMs = 5000): Promise<boolean> {
  try {
    await call(controlSocket, 'status', {}, timeoutMs);
    return true;
  } catch (e) {
    if (e instanceof DaemonUnreachable) return false;
    throw e;
  }
}

/** A berthd process just started: its exit code once it exited (null for a signal), undefined while it runs. */
export interface LaunchedDaemon {
  exitCode(): number | null | undefined;
}

export interface EnsureDaemonOptions {
  controlSocket: string;
  /** Where the launched berthd's output goes; its last lines are quoted when it exits at start. */
  logFile: string;
  launch: () => LaunchedDaemon;
  timeoutMs?: number;
  /** How often to try berthd's socket while it starts (a unix connect: cheap; each wait is start latency). */
  pollMs?: number;
}

/** Starts berthd only when none answers; resolves once one does ('started'), or at once ('running'). */
export async function ensureDaemonWith(opts: EnsureDaemonOptions): Promise<'running' | 'started'> {
  if (await daemonAnswers(opts.controlSocket)) return 'running';
  const child = opts.launch();
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await daemonAnswers(opts.controlSocket)) return 'started';
    const code = child.exitCode();
    if (code !== undefined) {
      // Another berthd won the lock between our check and its start: that one answers.
      if (code === EXIT_ALREADY_RUNNING && (await daemonAnswers(opts.controlSocket))) return 'running';
      throw new Error(`berthd exited at start (code ${code}); the end of ${opts.logFile}:\n${logTail(opts.logFile, 8)}\nFix what it says, then try again (\`berth doctor\` checks the usual causes).`);
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 25));
  }
  throw new Error(`berthd did not answer on ${opts.controlSocket} within ${Math.round(timeoutMs / 1000)} s; see ${opts.logFile}, then try again.`);
}

export function logTail(file: string, lines: number): string {
  try {
    return readFileSync(file, 'utf8').trim().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log written)';
  }
}

export interface DetachedCommand {
  command: string;
  args: string[];
  env: NodeJS.ProcessEnv;
  cwd?: string;
  logFile: string;
}

/** Starts a process that outlives its parent, stdout and stderr appended to `logFile` (0600). */
export function spawnDetached(cmd: DetachedCommand): LaunchedDaemon {
  const out = openSync(cmd.logFile, 'a', 0o600);
  let exited: number | null | undefined;
  try {
    const child = spawn(cmd.command, cmd.args, { detached: true, stdio: ['ignore', out, out], env: cmd.env, ...(cmd.cwd ? { cwd: cmd.cwd } : {}) });
    child.on('exit', (code) => (exited = code));
    child.on('error', () => (exited = null));
    child.unref();
  } finally {
    closeSync(out);
  }
  return { exitCode: () => exited };
}

// ---- Where a bundled berthd finds the VM image ----

/** The VM image's architecture directory name for a Node `process.arch`. */
export function guestArch(nodeArch: string): string {
  return nodeArch === 'arm64' ? 'aarch64' : nodeArch === 'x64' ? 'x86_64' : nodeArch;
}

/**
 * Where the VM image is for a bundled berthd at `berthdScript`: beside it in a packaged app
 * (<resources>/berthd/berthd.mjs → <resources>/vm-images/<arch>), or in the repository's build output
 * (dist/berthd.mjs → vm-images/out/<arch>). The first that holds a kernel wins.
 */
export function imageDirFor(berthdScript: string, nodeArch: string, exists: (path: string) => boolean = existsSync): string | undefined {
  const base = dirname(dirname(berthdScript));
  const arch = guestArch(nodeArch);
  return [join(base, 'vm-images', arch), join(base, 'vm-images', 'out', arch)].find((d) => exists(join(d, 'kernel')));
}

/**
 * Node flags every berthd runs with. A 1 MB young generation: berthd relays bytes and answers events
 * all day, and V8's young generation otherwise grows toward its 16 MB semi-spaces — with a VM running,
 * idle RSS 81.1 → 79.2 MB side by side (docs/performance.md), CPU unchanged. Its objects are
 * short-lived; the scavenges it costs are cheap and far apart at idle.
 */
export const BERTHD_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=1'];

/** The environment a started berthd gets: its home, and the image directory unless one was set. */
export function berthdEnv(base: NodeJS.ProcessEnv, home: string, imageDir: string | undefined): NodeJS.ProcessEnv {
  return { ...base, BERTH_HOME: home, ...(imageDir && !base.BERTH_IMAGE_DIR ? { BERTH_IMAGE_DIR: imageDir } : {}) };
}
