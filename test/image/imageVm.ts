// Test harness for booting the built image under QEMU/TCG: paths of the artifacts, a fresh qcow2,
// boot with markers, and the guest uptime read from each "berth: … (uptime Ns)" marker.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QemuProcess } from '../../helpers/berthd/hypervisors/qemuProcess.ts';
import type { VmConfig, VmShare } from '../../helpers/berthd/hypervisors/vmConfig.ts';

export const repoRoot = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const imageDir = join(repoRoot, 'vm-images', 'out', 'x86_64');

export type ImageManifest = { cmdline: string; kernelVersion: string; artifacts: Record<'kernel' | 'initrd', { bytes: number; sha256: string }> };

export function builtImage(): { kernel: string; initrd: string; manifest: ImageManifest } {
  const kernel = join(imageDir, 'kernel');
  const initrd = join(imageDir, 'initrd.img');
  if (!existsSync(kernel) || !existsSync(initrd)) throw new Error('the VM image is not built: run `npm run vm:build` first');
  return { kernel, initrd, manifest: JSON.parse(readFileSync(join(imageDir, 'manifest.json'), 'utf8')) as ImageManifest };
}

export function workDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), `berth-${prefix}-`));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

export function createQcow2(path: string, size: string): void {
  execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', path, size]);
}

/** Guest uptime (seconds) printed at the end of a marker line. */
export function markerUptime(line: string): number {
  const m = /\(uptime ([\d.]+)s\)\s*$/.exec(line);
  if (!m) throw new Error(`not a berth marker with uptime: ${line}`);
  return Number(m[1]);
}

export type ImageBootOptions = {
  disk: string;
  cmdlineExtra?: string;
  configDisk?: string;
  name?: string;
  /** Host folders for the guest (9p or virtiofs devices). */
  shares?: VmShare[];
  /** Where QEMU listens for the guest link (berth-agent's exec, rpc and docker streams). */
  guestLinkSocket?: string;
  /** TCG's threading (Berth's default: single); benchmarks compare. */
  tcgThread?: 'single' | 'multi';
};

/** The VmConfig bootImage uses: Berth's own QEMU argv (TCG), 2 CPUs, 2 GiB. */
export function imageVmConfig(dir: string, opts: ImageBootOptions): VmConfig {
  const { kernel, initrd, manifest } = builtImage();
  return {
    name: opts.name ?? 'berth-image-test',
    cpus: 2,
    memoryMiB: 2048,
    accel: 'tcg',
    ...(opts.tcgThread ? { tcgThread: opts.tcgThread } : {}),
    kernel,
    initrd,
    cmdline: `${manifest.cmdline}${opts.cmdlineExtra ? ` ${opts.cmdlineExtra}` : ''}`,
    dataDisk: { path: opts.disk, format: 'qcow2' },
    ...(opts.configDisk ? { configDisk: opts.configDisk } : {}),
    ...(opts.shares ? { shares: opts.shares } : {}),
    ...(opts.guestLinkSocket ? { guestLinkSocket: opts.guestLinkSocket } : {}),
    consoleLog: join(dir, `console-${Date.now()}.log`),
    qmpSocket: join(dir, 'qmp.sock'),
  };
}

/** Boot the image with Berth's own QEMU argv (TCG), a data disk and optional extras. */
export function bootImage(dir: string, opts: ImageBootOptions): QemuProcess {
  return QemuProcess.start(imageVmConfig(dir, opts));
}
