// Harness for suites that drive a real Berth: a private BERTH_HOME, the `berth` CLI, the real
// `docker` CLI pointed at Berth's socket, a busybox test image, and cleanup that leaves no process.
import { execFile, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, copyFileSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { berthPaths, type BerthPaths } from '../../helpers/berthd/paths.ts';
import { repoRoot } from '../image/imageVm.ts';

const execFileAsync = promisify(execFile);
export const berthBin = join(repoRoot, 'helpers', 'cli', 'bin', 'berth.mjs');
export const TEST_IMAGE = 'berth-test/busybox:latest';

export type Berth = {
  home: string;
  paths: BerthPaths;
  env: NodeJS.ProcessEnv;
  berth: (args: string[], opts?: { timeoutMs?: number; env?: NodeJS.ProcessEnv }) => Promise<{ code: number; stdout: string; stderr: string }>;
  docker: (args: string[], opts?: { input?: string | Buffer; timeoutMs?: number }) => Promise<{ code: number; stdout: string; stderr: string }>;
  spawnDocker: (args: string[]) => ChildProcess;
  berthdPid: () => number | undefined;
  cleanup: () => Promise<void>;
};

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, input?: string | Buffer, timeoutMs = 300_000): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

export function startBerthHarness(prefix: string): Berth {
  const home = mkdtempSync(join(tmpdir(), `b-${prefix}-`));
  const dockerConfig = join(home, 'docker-config');
  mkdirSync(dockerConfig, { recursive: true });
  const paths = berthPaths(home);
  const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: home, DOCKER_CONFIG: dockerConfig, DOCKER_HOST: `unix://${paths.dockerSocket}`, DOCKER_BUILDKIT: '0' };
  const berthdPid = (): number | undefined => {
    try {
      return Number(readFileSync(paths.lockFile, 'utf8').trim()) || undefined;
    } catch {
      return undefined;
    }
  };
  return {
    home,
    paths,
    env,
    berth: (args, opts) => run(process.execPath, [berthBin, ...args], opts?.env ? { ...env, ...opts.env } : env, undefined, opts?.timeoutMs),
    docker: (args, opts) => run('docker', args, env, opts?.input, opts?.timeoutMs),
    spawnDocker: (args) => spawn('docker', args, { env, stdio: ['pipe', 'pipe', 'pipe'] }),
    berthdPid,
    cleanup: async () => {
      await run(process.execPath, [berthBin, 'quit'], env, undefined, 90_000);
      const pid = berthdPid();
      if (pid) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      const qemuPid = existsSync(paths.qemuPidFile) ? Number(readFileSync(paths.qemuPidFile, 'utf8')) : 0;
      if (qemuPid > 1) {
        try {
          process.kill(qemuPid, 'SIGKILL');
        } catch {
          /* gone */
        }
      }
      rmSync(home, { recursive: true, force: true });
    },
  };
}

/** The busybox of the image build (a static binary), for making test images on the host. */
function busyboxBinary(): string {
  const extract = join(repoRoot, 'vm-images', '.cache', 'extract');
  const dir = readdirSync(extract).find((d) => d.startsWith('busybox-static_'));
  if (!dir) throw new Error('busybox-static is not in vm-images/.cache: run `npm run vm:build` first');
  return join(extract, dir, 'bin', 'busybox');
}

/** `docker import` a ~2 MB image holding busybox and its applet links (sh, cat, httpd …). */
export async function importTestImage(b: Berth): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'berth-rootfs-'));
  try {
    mkdirSync(join(root, 'bin'));
    for (const d of ['tmp', 'etc', 'proc', 'sys', 'dev', 'data']) mkdirSync(join(root, d));
    chmodSync(join(root, 'tmp'), 0o1777);
    copyFileSync(busyboxBinary(), join(root, 'bin', 'busybox'));
    chmodSync(join(root, 'bin', 'busybox'), 0o755);
    const applets = spawnSync(join(root, 'bin', 'busybox'), ['--list'], { encoding: 'utf8' }).stdout.split('\n').filter((a) => a && a !== 'busybox');
    for (const a of applets) symlinkSync('busybox', join(root, 'bin', a));
    const tar = join(root, '..', `${root.split('/').pop()}.tar`);
    await execFileAsync('tar', ['-C', root, '--sort=name', '--owner=0', '--group=0', '-cf', tar, '.']);
    const r = await b.docker(['import', '--change', 'CMD ["/bin/sh"]', '--change', 'ENV PATH=/bin', tar, TEST_IMAGE]);
    rmSync(tar, { force: true });
    if (r.code !== 0) throw new Error(`docker import failed: ${r.stderr}`);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

/** Open file descriptors of a process (Linux). */
export function fdCount(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/** Resident memory of a process in bytes (Linux). */
export function rssBytes(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) * 1024 : 0;
}

/** QEMU processes running on a Berth's data disk (never two: T-27). */
export function qemuOnDisk(dataDisk: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((pid) => {
      try {
        const cmd = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
        return cmd.startsWith('qemu-system') && cmd.includes(dataDisk);
      } catch {
        return false;
      }
    })
    .map(Number);
}

/**
 * Run a shell command on the guest's `berth-agent serve` (found by its argv; `$p` is its pid, e.g.
 * `ls /proc/$p/fd | wc -l`) through `berth shell`; its trimmed output. Throws when the shell fails.
 */
export async function onGuestAgent(b: Berth, command: string): Promise<string> {
  const script = `for p in $(pidof berth-agent); do set -- $(tr "\\0" " " < /proc/$p/cmdline); [ "$2" = serve ] && ${command}; done; true`;
  const r = await b.berth(['shell', '--', '/bin/sh', '-c', script], { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`berth shell on the guest agent failed (${r.code}): ${r.stderr}`);
  return r.stdout.trim();
}
