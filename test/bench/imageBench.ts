// Owns: the image figures (no VM boots) — the files Berth's VM image is made of against the plain Debian VM's
// kernel, initrd and disk: what QEMU loads, and every file shipped. Sizes are the files' lengths (what a
// package carries), and the bytes they take on this disk.
import { existsSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { builtImage } from '../image/imageVm.ts';
import { allocatedBytes, ensureDebianVm } from './baseline/debianVm.ts';
import type { Comparison } from './benchReport.ts';

const MB = (n: number): number => n / 1e6;
const length = (files: string[]): number => files.reduce((n, f) => n + statSync(f).size, 0);
const allocated = (files: string[]): number => files.reduce((n, f) => n + allocatedBytes(f), 0);

export function imageSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  const { manifest, kernel, initrd } = builtImage();
  const vmlinux = join(dirname(kernel), 'vmlinux');
  const hasVmlinux = existsSync(vmlinux);
  const loaded = [hasVmlinux ? vmlinux : kernel, initrd];
  const shipped = [kernel, initrd, ...(hasVmlinux ? [vmlinux] : [])];
  const deb = ensureDebianVm();
  const debian = [deb.kernel, deb.initrd, deb.disk];
  const vs = { baselineName: "plain Debian VM (kernel + initrd + qcow2 disk)" };
  return Promise.resolve({
    comparisons: [
      { figure: `what QEMU loads (${hasVmlinux ? 'vmlinux' : 'bzImage'} + initrd), file length`, unit: 'MB', berth: [MB(length(loaded))], baseline: [MB(length(debian))], ...vs },
      { figure: 'every file shipped (bzImage, vmlinux, initrd), file length', unit: 'MB', berth: [MB(length(shipped))], baseline: [MB(length(debian))], ...vs },
      { figure: 'every file shipped, bytes allocated on disk', unit: 'MB', berth: [MB(allocated(shipped))], baseline: [MB(allocated(debian))], ...vs, note: 'xz writes vmlinux sparse: its runs of zeros take no blocks' },
      { figure: 'initramfs unpacked', unit: 'MB', berth: [MB((manifest as { initrdUncompressedBytes?: number }).initrdUncompressedBytes ?? NaN)] },
    ],
    details: { compression: (manifest as { compression?: string }).compression, kernelVersion: manifest.kernelVersion, debian: deb.info },
  });
}
