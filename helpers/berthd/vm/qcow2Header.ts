// Owns: reading a qcow2 header without qemu-img — the virtual size (for "a disk only grows") and
// whether it names a backing file, which Berth refuses: a backing file could point at any host file (T-43).
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export type Qcow2Info = { virtualSize: number; backingFile: boolean; allocatedBytes: number };

/** The header of the qcow2 at `path`, or undefined when there is no file or it is not qcow2. */
export function inspectQcow2(path: string): Qcow2Info | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const h = Buffer.alloc(32);
    if (readSync(fd, h, 0, 32, 0) < 32) return undefined;
    if (h.readUInt32BE(0) !== 0x514649fb) return undefined; // "QFI\xfb"
    const backingOffset = h.readBigUInt64BE(8);
    const virtualSize = Number(h.readBigUInt64BE(24));
    return { virtualSize, backingFile: backingOffset !== 0n, allocatedBytes: statSync(path).blocks * 512 };
  } finally {
    closeSync(fd);
  }
}
