// HyperKit's data disk: a sparse raw file (HyperKit reads no qcow2). Created at the set size without
// writing its blocks, grown when the setting grew (the guest grows its file system at boot), never shrunk.
import { closeSync, fstatSync, ftruncateSync, openSync, statSync } from 'node:fs';
import { formatSize } from '../../api/settings.ts';

export type RawDiskResult = { action: 'created' | 'grown' | 'unchanged' | 'kept-larger'; sizeBytes: number; message?: string };

export function ensureRawDisk(path: string, sizeBytes: number): RawDiskResult {
  if (!Number.isSafeInteger(sizeBytes) || sizeBytes < 1024 * 1024 || sizeBytes % 512 !== 0) {
    throw new Error(`the disk size must be a whole number of 512-byte sectors, at least 1 MiB, not ${sizeBytes}`);
  }
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`could not create the VM disk ${path}: ${(e as Error).message}`, { cause: e });
    return growRawDisk(path, sizeBytes);
  }
  try {
    ftruncateSync(fd, sizeBytes);
  } finally {
    closeSync(fd);
  }
  return { action: 'created', sizeBytes, message: `created ${path} (${formatSize(sizeBytes)}, sparse)` };
}

function growRawDisk(path: string, sizeBytes: number): RawDiskResult {
  const st = statSync(path);
  if (!st.isFile()) throw new Error(`${path} is not a regular file; move it away (Berth then creates a new, empty disk)`);
  if (st.size === sizeBytes) return { action: 'unchanged', sizeBytes };
  if (st.size > sizeBytes) {
    return { action: 'kept-larger', sizeBytes: st.size, message: `${path} is ${formatSize(st.size)}, larger than the ${formatSize(sizeBytes)} set: disks are never shrunk, it stays ${formatSize(st.size)}` };
  }
  const fd = openSync(path, 'r+');
  try {
    ftruncateSync(fd, sizeBytes);
    if (fstatSync(fd).size !== sizeBytes) throw new Error(`${path} did not grow to ${sizeBytes} bytes`);
  } finally {
    closeSync(fd);
  }
  return { action: 'grown', sizeBytes, message: `grew ${path} from ${formatSize(st.size)} to ${formatSize(sizeBytes)}; the guest grows its file system at boot` };
}
