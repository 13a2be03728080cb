// Owns: booting the baseline plain Debian 12 VM (built by build-debian-vm.sh) with the same QEMU binary,
// accelerator, CPUs and memory as Berth, on a fresh copy of its disk (cold) or a booted one (warm),
// until its serial console says Docker answers. Its argv is fixed: Berth's levers never
// apply to it.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { QemuProcess } from '../../../helpers/berthd/hypervisors/qemuProcess.ts';
import { TCG_CPU, tcgAccel } from '../../../helpers/berthd/hypervisors/qemuArgs.ts';
import { repoRoot } from '../../image/imageVm.ts';
import { ConsoleTimeline, DEBIAN_MARKERS, phases, processStartMs, type Phases } from '../bootTimeline.ts';

export const debianDir = process.env.BENCH_DEBIAN_DIR ?? join(repoRoot, 'test', 'bench', '.cache', 'debian-vm');
const script = join(repoRoot, 'test', 'bench', 'baseline', 'build-debian-vm.sh');

/** Build the baseline VM when it is not cached (a few minutes: debootstrap from Debian's mirror). */
export function ensureDebianVm(): { disk: string; kernel: string; initrd: string; info: Record<string, unknown> } {
  if (!existsSync(join(debianDir, 'disk.qcow2'))) {
    console.log(`building the baseline Debian VM (${script}) …`);
    execFileSync(script, { stdio: 'inherit', env: { ...process.env, BENCH_DEBIAN_DIR: debianDir } });
  }
  return {
    disk: join(debianDir, 'disk.qcow2'),
    kernel: join(debianDir, 'vmlinuz'),
    initrd: join(debianDir, 'initrd.img'),
    info: JSON.parse(readFileSync(join(debianDir, 'info.json'), 'utf8')) as Record<string, unknown>,
  };
}

/** Bytes a file takes on the host's disk (allocated blocks, not its apparent size). */
export function allocatedBytes(path: string): number {
  const [blocks, blockSize] = execFileSync('stat', ['-c', '%b %B', path], { encoding: 'utf8' }).trim().split(' ').map(Number);
  return blocks! * blockSize!;
}

export type DebianBoot = { ms: number; phases: Phases | undefined; qemu: QemuProcess; timeline: ConsoleTimeline };

/**
 * Boot the Debian VM on `disk` (a copy of the baseline's; the caller owns it) and resolve once its
 * console says Docker answers. The VM keeps running: the caller powers it down (qemu.powerdown()) or kills it.
 */
export async function bootDebian(dir: string, disk: string, opts: { cpus: number; memoryMiB: number; tag: string }): Promise<DebianBoot> {
  const vm = ensureDebianVm();
  const consoleLog = join(dir, `debian-console-${opts.tag}.log`);
  const qmpSocket = join(dir, 'debian-qmp.sock');
  const argv = [
    '-name', 'berth-bench-debian',
    '-machine', 'q35',
    '-accel', tcgAccel(), // TCG as Berth runs it: the same accel, threading included
    '-cpu', TCG_CPU, // and the same emulated CPU (no ERMS/FSRM: qemuArgs.ts)
    '-smp', String(opts.cpus),
    '-m', `${opts.memoryMiB}M`,
    '-nodefaults', '-no-user-config', '-nographic', '-no-reboot',
    '-kernel', vm.kernel,
    '-initrd', vm.initrd,
    '-append', 'root=/dev/vda rw console=ttyS0 quiet',
    '-chardev', `file,id=console,path=${consoleLog}`,
    '-serial', 'chardev:console',
    '-device', 'virtio-rng-pci',
    '-netdev', 'user,id=net0',
    '-device', 'virtio-net-pci,netdev=net0',
    '-drive', `if=none,id=root,file=${disk},format=qcow2,cache=writeback,discard=unmap`,
    '-device', 'virtio-blk-pci,drive=root',
    '-qmp', `unix:${qmpSocket},server=on,wait=off`,
  ];
  const timeline = new ConsoleTimeline(consoleLog);
  const t0 = Date.now();
  const qemu = QemuProcess.spawnArgv(argv, { consoleLog, qmpSocket });
  const startMs = qemu.pid ? processStartMs(qemu.pid) : t0;
  try {
    await timeline.waitFor(DEBIAN_MARKERS.dockerEnd, 600_000);
  } catch (e) {
    timeline.stop();
    await qemu.kill();
    throw e;
  }
  const end = timeline.find(DEBIAN_MARKERS.dockerEnd)!.seenMs;
  timeline.stop();
  return { ms: end - t0, phases: phases(timeline, DEBIAN_MARKERS, t0, startMs, end), qemu, timeline };
}

/** A never-booted copy of the baseline disk (a cold boot). */
export function freshDebianDisk(path: string): string {
  copyFileSync(ensureDebianVm().disk, path);
  return path;
}
