// The QEMU driver: QemuProcess (qemuProcess.ts) behind the driver interface, with QEMU's host check,
// qcow2 disk, leftover-QEMU check and re-adoption from run/vm.json exactly as the VM manager did them.
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { promisify } from 'node:util';
import { waitForExit } from '../host/processLiveness.ts';
import type { BerthPaths } from '../paths.ts';
import { inspectQcow2 } from '../vm/qcow2Header.ts';
import { templatePath } from '../vm/diskTemplate.ts';
import { ensureDataDisk } from '../vm/vmImage.ts';
import { findAdoptable } from '../vm/vmRecord.ts';
import { HostProblem, type Adoption, type DriverRuntime } from './driver.ts';
import { linkKernelParams } from './guestLinkParams.ts';
import { qemuKernel } from './qemuKernel.ts';
import { QemuProcess } from './qemuProcess.ts';
import type { VmConfig } from './vmConfig.ts';

const execFileAsync = promisify(execFile);
export const QEMU_BINARY = 'qemu-system-x86_64';

export type QemuDriverOptions = { paths: BerthPaths; log: (m: string) => void; binary?: string; /** Where the image is: its data-disk template makes new disks. */ imageDir?: string };

export function qemuDriver(o: QemuDriverOptions): DriverRuntime & { start(config: VmConfig): Promise<QemuProcess> } {
  const { paths, log } = o;
  const binary = o.binary ?? QEMU_BINARY;
  let current: QemuProcess | undefined;
  return {
    name: 'qemu',
    label: 'QEMU',
    diskFormat: 'qcow2',
    linkKernelParams: linkKernelParams('qemu'),
    hostAcpi: true,
    dataDisk: paths.dataDisk,
    sharesSupported: true,
    hostForwards: true,

    async checkHost() {
      try {
        await execFileAsync(binary, ['--version'], { timeout: 10_000 });
      } catch {
        throw new HostProblem(`QEMU (${binary}) is not installed or does not run`, 'install it: sudo apt-get install qemu-system-x86 qemu-utils');
      }
    },

    /** A QEMU left running on our disk that could not be re-adopted: never two VMs on one disk. */
    async clearLeftover() {
      if (!existsSync(paths.qemuPidFile)) return;
      const pid = Number(readFileSync(paths.qemuPidFile, 'utf8').trim());
      rmSync(paths.qemuPidFile, { force: true });
      if (!Number.isInteger(pid) || pid <= 1 || pid === current?.pid) return;
      let cmdline: string;
      try {
        cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8');
      } catch {
        return;
      }
      if (cmdline.includes('qemu-system') && cmdline.includes(paths.dataDisk)) {
        log(`a QEMU (pid ${pid}) from an earlier berthd still runs on this disk; stopping it`);
        process.kill(pid, 'SIGKILL');
        if (!(await waitForExit(pid, 10_000))) throw new HostProblem(`an earlier QEMU (pid ${pid}) on this disk did not stop`, `stop it by hand: kill -9 ${pid}`);
      }
    },

    ensureDisk: (sizeBytes) => ensureDataDisk(paths.dataDisk, sizeBytes, { template: o.imageDir === undefined ? undefined : templatePath(o.imageDir) }),

    start(config) {
      for (const s of [paths.guestLinkSocket, paths.qmpSocket]) rmSync(s, { force: true });
      current = QemuProcess.start({ ...config, kernel: qemuKernel(config.kernel) }, binary, paths.qemuStderrLog);
      return Promise.resolve(current);
    },

    adopt(): Promise<Adoption> {
      const found = findAdoptable(paths.vmRecord, paths.dataDisk);
      if (found.kind === 'none') return Promise.resolve(found);
      const r = found.record;
      log(`re-adopting the VM an earlier berthd started (QEMU pid ${r.pid}, up ${Math.round((Date.now() - r.startedAt) / 1000)} s)`);
      current = QemuProcess.adopt(r.pid, { consoleLog: paths.consoleLog, qmpSocket: paths.qmpSocket, stderrLog: paths.qemuStderrLog });
      return Promise.resolve({ kind: 'adopt', adopted: { vm: current, startedAt: r.startedAt, cpus: r.cpus, memoryMiB: r.memoryMiB, accel: r.accel } });
    },

    linkEndpoint: () => paths.guestLinkSocket,
    diskAllocatedBytes: () => inspectQcow2(paths.dataDisk)?.allocatedBytes,
  };
}
