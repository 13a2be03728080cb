// The HyperKit driver (Intel macOS): HyperkitProcess behind the driver interface — the host check, a
// sparse raw disk, HyperKit's own files under Berth's home, the vsock link socket, the 9P servers of
// the shares (one berth-ninep-server per share, started before HyperKit, ended after it), re-adoption.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { waitForExit } from '../host/processLiveness.ts';
import type { BerthPaths } from '../paths.ts';
import { readVmRecord } from '../vm/vmRecord.ts';
import { HostProblem, type Adoption, type DriverRuntime } from './driver.ts';
import { hyperkitForwardSocket, linkKernelParams } from './guestLinkParams.ts';
import { hyperkitArgs } from './hyperkitArgs.ts';
import { HyperkitProcess, type GuestShutdown, type HyperkitIo } from './hyperkitProcess.ts';
import { NinepServerGroup, ninepServerPath, stopRecordedNinepServers } from './ninepServer.ts';
import { ensureRawDisk } from './rawDisk.ts';
import type { VmConfig } from './vmConfig.ts';

const execFileAsync = promisify(execFile);

/** HyperKit's files under Berth's home (pure: from BerthPaths). */
export function hyperkitFiles(paths: BerthPaths): { dataDisk: string; pidFile: string; vsockDir: string; ttyPath: string; uuidFile: string; stderrLog: string; ninepRecord: string; ninepSocket: (tag: string) => string } {
  return {
    dataDisk: join(paths.vmDir, 'data.raw'),
    pidFile: join(paths.runDir, 'hyperkit.pid'),
    // HyperKit makes <dir>/00000003.00000be7 here: the socket directory is the short one (T-23).
    vsockDir: join(paths.socketDir, 'vsock'),
    ttyPath: join(paths.runDir, 'hyperkit.tty'),
    uuidFile: join(paths.vmDir, 'hyperkit.uuid'),
    stderrLog: join(paths.runDir, 'hyperkit-stderr.log'),
    // The pids of the shares' 9P servers, for a berthd that re-adopts the VM (ninepServer.ts).
    ninepRecord: join(paths.runDir, 'ninep-servers.json'),
    // HyperKit's virtio-9p connects here (path=): in the short socket directory, like the vsock one.
    ninepSocket: (tag) => join(paths.socketDir, `9p-${tag}.sock`),
  };
}

export type HyperkitDriverOptions = {
  paths: BerthPaths;
  log: (m: string) => void;
  /** Asks berth-agent to power the guest off (its `shutdown` RPC): HyperKit's graceful stop. */
  guestShutdown: GuestShutdown;
  binary?: string;
  /** berth-ninep-server (default: ninepServerPath(): BERTH_NINEP_SERVER, or beside berthd's bundle). */
  ninepServer?: string;
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
  const ninepBinary = o.ninepServer ?? ninepServerPath();
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
    // HyperKit's virtio-9p forwards 9P to berth-ninep-server on a unix socket, one per share.
    sharesSupported: true,
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
      if (pid === undefined) {
        const servers = stopRecordedNinepServers(f.ninepRecord);
        if (servers.length) o.log(`stopped the 9P servers an earlier berthd left behind (pids ${servers.join(', ')})`);
        return;
      }
      o.log(`a HyperKit (pid ${pid}) from an earlier berthd still runs on this disk; stopping it`);
      process.kill(pid, 'SIGKILL');
      if (!(await waitForExit(pid, 10_000))) throw new HostProblem(`an earlier HyperKit (pid ${pid}) on this disk did not stop`, `stop it by hand: kill -9 ${pid}`);
    },

    ensureDisk(sizeBytes) {
      return Promise.resolve(ensureRawDisk(f.dataDisk, sizeBytes).message);
    },

    async start(config) {
      const shares = config.shares ?? [];
      const ninePSockets = Object.fromEntries(shares.map((s) => [s.tag, f.ninepSocket(s.tag)]));
      const c: VmConfig = { ...config, accel: 'hvf', dataDisk: { path: f.dataDisk, format: 'raw' }, pidFile: f.pidFile, qmpSocket: undefined, guestLinkSocket: undefined, hostForwards: undefined };
      const x = { vsockDir: f.vsockDir, ttyPath: f.ttyPath, uuid: stableUuid(f.uuidFile), ninePSockets };
      hyperkitArgs(c, x); // refuses what HyperKit cannot be given before any server starts
      stopRecordedNinepServers(f.ninepRecord);
      let servers: NinepServerGroup | undefined;
      if (shares.length > 0) {
        mkdirSync(o.paths.socketDir, { recursive: true, mode: 0o700 });
        // -once: a server ends with HyperKit's connection (HyperKit exits if its server goes away, so
        // the servers outlive a berthd crash with the VM and serve it after re-adoption).
        const jobs = shares.map((s) => ({ hostPath: s.hostPath, readOnly: s.readOnly, listen: `unix:${ninePSockets[s.tag]}`, once: true }));
        try {
          servers = await NinepServerGroup.start(ninepBinary, jobs, { record: f.ninepRecord, logFile: (i) => join(o.paths.logsDir, `ninep-${i}.log`) });
        } catch (e) {
          throw new HostProblem(`the shares cannot be served: ${(e as Error).message}`, 'remove the shares from the settings to start without them, or reinstall Berth');
        }
      }
      let vm: HyperkitProcess;
      try {
        vm = HyperkitProcess.start(c, x, { binary, stderrLog: f.stderrLog, guestShutdown: o.guestShutdown });
      } catch (e) {
        await servers?.stop();
        throw e;
      }
      void vm.exited.then(() => servers?.stop());
      return vm;
    },

    adopt(): Promise<Adoption> {
      const vm = HyperkitProcess.adopt(io, { guestShutdown: o.guestShutdown });
      if (!vm) return Promise.resolve({ kind: 'none', why: `no live HyperKit on this disk holds ${f.pidFile}` });
      // The shares' servers go on serving the adopted VM; they are ended with it (-once, and by pid here).
      void vm.exited.then(() => stopRecordedNinepServers(f.ninepRecord));
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
