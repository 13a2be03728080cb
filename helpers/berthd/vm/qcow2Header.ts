// Owns: reading a qcow2 header without qemu-img — the virtual size (for "a disk only grows") and
// whether it names a backing file or an external data file, which Berth refuses: either could point at
// any host file (T-43).
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export type Qcow2Info = { virtualSize: number; backingFile: boolean; externalDataFile: boolean; allocatedBytes: number };

/** qcow2 v3 incompatible feature bit 2: the guest's data lives in another file the image names. */
const EXTERNAL_DATA_FILE = 1n << 2n;

/** The header of the qcow2 at `path`, or undefined when there is no file or it is not qcow2. */
export function inspectQcow2(path: string): Qcow2Info | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch {
    return undefined;
  }
  try {
    const h = Buffer.alloc(104);
    const got = readSync(fd, h, 0, 104, 0);
    if (got < 32) return undefined;
    if (h.readUInt32BE(0) !== 0x514649fb) return undefined; // "QFI\xfb"
    const backingOffset = h.readBigUInt64BE(8);
    const virtualSize = Number(h.readBigUInt64BE(24));
    // Version 3 headers carry the incompatible features at offset 72; version 2 has none.
    const incompatible = h.readUInt32BE(4) >= 3 && got >= 80 ? h.readBigUInt64BE(72) : 0n;
    return { virtualSize, backingFile: backingOffset !== 0n, externalDataFile: (incompatible & EXTERNAL_DATA_FILE) !== 0n, allocatedBytes: statSync(path).blocks * 512 };
  } finally {
    closeSync(fd);
  }
}
