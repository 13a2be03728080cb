// Owns: the virtiofsd daemons of virtiofs shares — whether virtiofs can be used on this host
// (virtiofsAvailable), the argv of one daemon (pure), starting it and waiting for its vhost-user
// socket, and stopping it by PID. One daemon per share; a group starts all or none.
//
// Debian 12's virtiofsd is QEMU 7.2's C implementation (/usr/lib/qemu/virtiofsd). It needs root:
// it takes a lock under /var/run/virtiofsd, switches to each guest caller's uid/gid for every file
// operation, and its sandboxes (namespace: unshare + pivot_root; chroot) need CAP_SYS_ADMIN and
// CAP_SYS_CHROOT. Run as an ordinary user it stops at once ("fv_socket_lock: Failed to create
// directory /var/run/virtiofsd: Permission denied"). A non-root berthd therefore uses 9p, unless a
// virtiofsd that runs unprivileged is installed (the Rust virtiofsd, `--sandbox none` or a user
// namespace) — virtiofsAvailable says which case this host is.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { accessSync, closeSync, constants, existsSync, lstatSync, openSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { ChildExitWatch, type ChildExit } from '../host/childExit.ts';
import { killOnExit } from '../host/childReaper.ts';

/** Where distributions put virtiofsd: Debian/Ubuntu (QEMU's C daemon), Fedora/Arch (the Rust one). */
export const VIRTIOFSD_CANDIDATES = ['/usr/lib/qemu/virtiofsd', '/usr/libexec/virtiofsd', '/usr/lib/virtiofsd'] as const;

/**
 * virtiofsd's cache mode. `none`: the guest caches neither data nor attributes, every read and stat
 * goes to the host (write-through both ways; shared writable mmap is refused with ENODEV). `auto`:
 * attributes for 1 s, data until the next open (close-to-open). `always`: the guest trusts its cache.
 */
export type VirtiofsCache = 'none' | 'auto' | 'always';
/**
 * `namespace`: mount, pid and net namespaces and pivot_root into the shared folder (the default, the
 * strongest). `chroot`: chroot(2) into the shared folder, for hosts where namespaces are not allowed
 * (inside a container). Either way a symlink the guest plants is resolved inside the share (T-21).
 */
export type VirtiofsSandbox = 'namespace' | 'chroot';

export type VirtiofsdOptions = {
  socketPath: string;
  sharedDir: string;
  cache?: VirtiofsCache;
  sandbox?: VirtiofsSandbox;
  binary?: string;
  /** virtiofsd's stderr goes here (so it outlives a killed berthd); a pipe kept in memory when absent. */
  logFile?: string;
  /** How long to wait for the socket. */
  readyTimeoutMs?: number;
};

export type VirtiofsdExit = ChildExit;

export type Availability = { ok: true; binary: string; version: string } | { ok: false; reason: string };

/**
 * Escape a value inside virtiofsd's `-o a,b=c` list (libfuse's fuse_opt rules: "," separates, "\,"
 * is a literal comma, "\\" a backslash), so a path can never add an option (T-44).
 */
export function fuseOptValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/,/g, '\\,');
}

/** The argv (without the binary) of one virtiofsd serving `sharedDir` on `socketPath`. Pure. */
export function virtiofsdArgv(o: Pick<VirtiofsdOptions, 'socketPath' | 'sharedDir' | 'cache' | 'sandbox'>): string[] {
  for (const v of [o.socketPath, o.sharedDir]) {
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
    if (/[\0-\x1f\x7f]/.test(v)) throw new Error(`virtiofsd paths cannot hold control characters: ${JSON.stringify(v)}`);
  }
  return [
    `--socket-path=${o.socketPath}`,
    '-o', `source=${fuseOptValue(o.sharedDir)}`,
    '-o', `cache=${o.cache ?? 'none'}`,
    '-o', `sandbox=${o.sandbox ?? 'namespace'}`,
    // Host folders mounted inside the share appear as their own mounts in the guest: inode numbers
    // stay unique across host file systems (what multidevs=remap does for 9p).
    '-o', 'announce_submounts',
    '-o', 'log_level=warn',
  ];
}

/** The first virtiofsd found on this host, or undefined. */
export function findVirtiofsd(candidates: readonly string[] = VIRTIOFSD_CANDIDATES): string | undefined {
  return candidates.find((p) => {
    try {
      accessSync(p, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * Whether this host can serve virtiofs shares: a virtiofsd is installed, runs (`--version`), and
 * can work as this user (QEMU 7.2's C daemon needs root; see the top of this file).
 */
export function virtiofsAvailable(o: { binary?: string; euid?: number; platform?: NodeJS.Platform } = {}): Availability {
  const platform = o.platform ?? process.platform;
  if (platform !== 'linux') return { ok: false, reason: `virtiofs needs a Linux host (vhost-user and memfd); this is ${platform}` };
  const binary = o.binary ?? findVirtiofsd();
  if (binary === undefined) return { ok: false, reason: `no virtiofsd at ${VIRTIOFSD_CANDIDATES.join(', ')} (Debian: apt-get install qemu-system-common)` };
  const r = spawnSync(binary, ['--version'], { encoding: 'utf8', timeout: 5000 });
  if (r.error || r.status !== 0) return { ok: false, reason: `${binary} --version failed: ${r.error?.message ?? ((r.stderr || r.stdout).trim() || `exit ${r.status}`)}` };
  const version = `${r.stdout}${r.stderr}`.split('\n')[0]!.trim();
  const euid = o.euid ?? process.geteuid?.() ?? -1;
  // The Rust virtiofsd prints "virtiofsd <semver>" and can run unprivileged; QEMU's C one names QEMU.
  const cDaemon = /Fabrice Bellard|QEMU|version \d+\.\d+\.\d+ \(/.test(`${r.stdout}${r.stderr}`);
  if (cDaemon && euid !== 0) return { ok: false, reason: `${binary} (${version}) is QEMU's C virtiofsd, which needs root (it switches to each guest caller's uid and sandboxes itself with namespaces); berthd runs as uid ${euid}, so shares use 9p` };
  return { ok: true, binary, version };
}

function isSocket(p: string): boolean {
  try {
    return lstatSync(p).isSocket();
  } catch {
    return false;
  }
}

/** One running virtiofsd. `stop()` ends it by PID and removes its socket; it never outlives stop(). */
export class VirtiofsdProcess {
  readonly exited: Promise<VirtiofsdExit>;
  private readonly watch: ChildExitWatch;

  private constructor(
    private readonly child: ChildProcess,
    readonly options: VirtiofsdOptions,
  ) {
    this.watch = new ChildExitWatch(child, options.logFile);
    this.exited = this.watch.exited;
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.watch.running;
  }

  /** Start virtiofsd and resolve once its socket exists; reject (with its stderr) if it exits or times out first. */
  static async start(o: VirtiofsdOptions): Promise<VirtiofsdProcess> {
    const binary = o.binary ?? findVirtiofsd();
    if (binary === undefined) throw new Error(`no virtiofsd found at ${VIRTIOFSD_CANDIDATES.join(', ')}`);
    if (!existsSync(o.sharedDir)) throw new Error(`the shared folder ${o.sharedDir} does not exist`);
    rmSync(o.socketPath, { force: true });
    const errFd = o.logFile ? openSync(o.logFile, 'w', 0o600) : undefined;
    const child = spawn(binary, virtiofsdArgv(o), { stdio: ['ignore', errFd ?? 'ignore', errFd ?? 'pipe'] });
    if (errFd !== undefined) closeSync(errFd);
    killOnExit(child);
    const p = new VirtiofsdProcess(child, o);
    const spawnError = new Promise<Error>((resolve) => child.once('error', resolve));
    const deadline = Date.now() + (o.readyTimeoutMs ?? 10_000);
    for (;;) {
      if (isSocket(o.socketPath)) return p;
      const failed = await Promise.race([spawnError, p.exited, new Promise<undefined>((r) => setTimeout(() => r(undefined), 25))]);
      if (failed instanceof Error) throw new Error(`virtiofsd could not start (${binary}): ${failed.message}`);
      if (failed !== undefined) throw new Error(`virtiofsd for ${o.sharedDir} exited (${failed.signal ?? `code ${failed.code}`}) before its socket appeared: ${failed.stderr || 'no output'}`);
      if (Date.now() > deadline) {
        await p.stop();
        throw new Error(`virtiofsd for ${o.sharedDir} did not create ${o.socketPath} within ${o.readyTimeoutMs ?? 10_000} ms`);
      }
    }
  }

  /**
   * SIGTERM, SIGKILL after `graceMs`, wait for the exit, remove the socket. With the namespace
   * sandbox virtiofsd is two processes once QEMU connects: the one we started waits for a child in
   * the new pid namespace. Ending the child first lets its parent reap it and exit by itself; ending
   * only the parent would leave the child a zombie until init reaps it.
   */
  async stop(graceMs = 2000): Promise<VirtiofsdExit> {
    if (this.running && this.child.pid !== undefined) {
      const children = childPids(this.child.pid);
      const signal = (sig: NodeJS.Signals): void => {
        for (const pid of children) {
          try {
            process.kill(pid, sig);
          } catch {
            /* gone */
          }
        }
        if (sig === 'SIGKILL' || children.length === 0) this.child.kill(sig);
      };
      signal('SIGTERM');
      const t = setTimeout(() => signal('SIGKILL'), graceMs);
      await this.exited;
      clearTimeout(t);
    }
    rmSync(this.options.socketPath, { force: true });
    return this.watch.exit!;
  }
}

/** The direct children of a process (Linux /proc). */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8')
        .split(' ')
        .filter((x) => x !== '')
        .map(Number),
    );
  } catch {
    return [];
  }
}

/** The daemons of all virtiofs shares of one VM: started together, stopped together. */
export class VirtiofsdGroup {
  private constructor(readonly processes: VirtiofsdProcess[]) {}

  /** Start one virtiofsd per job; if any fails, the ones started are stopped and the error is thrown. */
  static async start(jobs: { hostPath: string; socketPath: string }[], o: Omit<VirtiofsdOptions, 'socketPath' | 'sharedDir' | 'logFile'> & { logFile?: (index: number) => string } = {}): Promise<VirtiofsdGroup> {
    const started: VirtiofsdProcess[] = [];
    try {
      for (const [i, job] of jobs.entries()) {
        const { logFile, ...rest } = o;
        started.push(await VirtiofsdProcess.start({ ...rest, socketPath: job.socketPath, sharedDir: job.hostPath, ...(logFile ? { logFile: logFile(i) } : {}) }));
      }
    } catch (e) {
      await Promise.all(started.map((p) => p.stop()));
      throw e;
    }
    return new VirtiofsdGroup(started);
  }

  get pids(): number[] {
    return this.processes.map((p) => p.pid).filter((p): p is number => p !== undefined);
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
  }
}

/**
 * Stop a virtiofsd that a previous berthd started (its pid from a record), only if that pid is still
 * virtiofsd serving `socketPath` (a reused pid is left alone). True when one was killed.
 */
export function killVirtiofsdByPid(pid: number, socketPath: string): boolean {
  let cmdline: string[];
  try {
    cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return false;
  }
  if (!/virtiofsd$/.test(cmdline[0] ?? '') || !cmdline.includes(`--socket-path=${socketPath}`)) return false;
  try {
    process.kill(pid, 'SIGKILL');
  } catch {
    return false;
  }
  rmSync(socketPath, { force: true });
  return true;
}
