// The HyperKit driver (Intel macOS): HyperkitProcess behind the driver interface — the host check, a
// sparse raw disk, HyperKit's own files under Berth's home, the vsock link socket, and re-adoption.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitForExit } from '../host/processLiveness.ts';
import type { BerthPaths } from '../paths.ts';
import { readVmRecord } from '../vm/vmRecord.ts';
import { HostProblem, type Adoption, type DriverRuntime } from './driver.ts';
import { hyperkitForwardSocket, linkKernelParams } from './guestLinkParams.ts';
import { HyperkitProcess, type GuestShutdown, type HyperkitIo } from './hyperkitProcess.ts';
import { ensureRawDisk } from './rawDisk.ts';

const execFileAsync = promisify(execFile);

/** HyperKit's files under Berth's home (pure: from BerthPaths). */
export function hyperkitFiles(paths: BerthPaths): { dataDisk: string; pidFile: string; vsockDir: string; ttyPath: string; uuidFile: string; stderrLog: string } {
  return {
    dataDisk: join(paths.vmDir, 'data.raw'),
    pidFile: join(paths.runDir, 'hyperkit.pid'),
    // HyperKit makes <dir>/00000003.00000be7 here: the socket directory is the short one (T-23).
    vsockDir: join(paths.socketDir, 'vsock'),
    ttyPath: join(paths.runDir, 'hyperkit.tty'),
    uuidFile: join(paths.vmDir, 'hyperkit.uuid'),
    stderrLog: join(paths.runDir, 'hyperkit-stderr.log'),
  };
}

export type HyperkitDriverOptions = {
  paths: BerthPaths;
  log: (m: string) => void;
  /** Asks berth-agent to power the guest off (its `shutdown` RPC): HyperKit's graceful stop. */
  guestShutdown: GuestShutdown;
  binary?: string;
  /** The host as Node names it; HyperKit runs only on darwin/x64 (tests of the fake pass Linux as such). */
  host?: { platform: string; arch: string };
};

/** The VM's UUID, made once and kept: vmnet derives the guest's MAC (and so its address) from it. */
function stableUuid(file: string): string {
  if (existsSync(file)) {
    const u = readFileSync(file, 'utf8').trim();
    if (/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(u)) return u;
  }
  const u = randomUUID();
  writeFileSync(file, `${u}\n`, { mode: 0o600 });
  return u;
}

export function hyperkitDriver(o: HyperkitDriverOptions): DriverRuntime {
  const f = hyperkitFiles(o.paths);
  const binary = o.binary ?? 'hyperkit';
  const host = o.host ?? { platform: process.platform, arch: process.arch };
  const io: HyperkitIo = { consoleLog: o.paths.consoleLog, pidFile: f.pidFile, vsockDir: f.vsockDir, dataDisk: f.dataDisk, stderrLog: f.stderrLog };
  return {
    name: 'hyperkit',
    label: 'HyperKit',
    diskFormat: 'raw',
    linkKernelParams: linkKernelParams('hyperkit'),
    hostAcpi: false,
    dataDisk: f.dataDisk,
    fixedAccel: { accel: 'hvf', why: 'HyperKit always runs on Hypervisor.framework' },
    // HyperKit forwards 9P to a server on a unix socket; Berth does not ship that server yet (docs/drivers.md).
    sharesSupported: false,
    hostForwards: false,

    async checkHost() {
      if (host.platform === 'darwin' && host.arch === 'arm64') throw new HostProblem('HyperKit cannot run on Apple Silicon (it needs an Intel CPU)', 'berth settings set driver=qemu: QEMU runs on Hypervisor.framework there');
      if (host.platform !== 'darwin' || host.arch !== 'x64') throw new HostProblem('HyperKit runs only on Intel Macs', 'berth settings set driver=qemu');
      try {
        await execFileAsync(binary, ['-v'], { timeout: 10_000 });
      } catch (e) {
        const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
        throw new HostProblem(missing ? 'HyperKit is not installed' : `HyperKit is installed but does not run (${(e as Error).message.split('\n')[0]})`, 'brew install hyperkit, or berth settings set driver=qemu');
      }
    },

    async clearLeftover() {
      const pid = HyperkitProcess.ownerOf(io);
      if (pid === undefined) return;
      o.log(`a HyperKit (pid ${pid}) from an earlier berthd still runs on this disk; stopping it`);
      process.kill(pid, 'SIGKILL');
      if (!(await waitForExit(pid, 10_000))) throw new HostProblem(`an earlier HyperKit (pid ${pid}) on this disk did not stop`, `stop it by hand: kill -9 ${pid}`);
    },

    ensureDisk(sizeBytes) {
      return Promise.resolve(ensureRawDisk(f.dataDisk, sizeBytes).message);
    },

    start(config) {
      const vm = HyperkitProcess.start(
        { ...config, accel: 'hvf', dataDisk: { path: f.dataDisk, format: 'raw' }, pidFile: f.pidFile, qmpSocket: undefined, guestLinkSocket: undefined, hostForwards: undefined },
        { vsockDir: f.vsockDir, ttyPath: f.ttyPath, uuid: stableUuid(f.uuidFile) },
        { binary, stderrLog: f.stderrLog, guestShutdown: o.guestShutdown },
      );
      return Promise.resolve(vm);
    },

    adopt(): Promise<Adoption> {
      const vm = HyperkitProcess.adopt(io, { guestShutdown: o.guestShutdown });
      if (!vm) return Promise.resolve({ kind: 'none', why: `no live HyperKit on this disk holds ${f.pidFile}` });
      const r = readVmRecord(o.paths.vmRecord);
      const known = r && r.pid === vm.pid && r.dataDisk === f.dataDisk ? r : undefined;
      o.log(`re-adopting the VM an earlier berthd started (HyperKit pid ${vm.pid}${known ? `, up ${Math.round((Date.now() - known.startedAt) / 1000)} s` : ''})`);
      return Promise.resolve({ kind: 'adopt', adopted: { vm, ...(known ? { startedAt: known.startedAt, cpus: known.cpus, memoryMiB: known.memoryMiB, accel: known.accel } : {}) } });
    },

    linkEndpoint: () => hyperkitForwardSocket(f.vsockDir),
    diskAllocatedBytes: () => {
      try {
        return statSync(f.dataDisk).blocks * 512;
      } catch {
        return undefined;
      }
    },
  };
}
