// Which kernel file QEMU boots: the uncompressed vmlinux beside the bzImage when the image has one (QEMU then
// enters it through its PVH note, skipping the firmware's real-mode setup and in-guest decompression —
// ~2.4 s of each boot under TCG, docs/performance.md), else the bzImage.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function qemuKernel(kernel: string, exists: (path: string) => boolean = existsSync): string {
  const vmlinux = join(dirname(kernel), 'vmlinux');
  return exists(vmlinux) ? vmlinux : kernel;
}
