// Owns: a new QEMU data disk made from the image's formatted template (data-disk.qcow2 beside the kernel,
// vm-images/builder/dataDiskTemplate.ts), so the first boot mounts it instead of running mke2fs under TCG.
import { execFile } from 'node:child_process';
import { chmodSync, copyFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { formatSize } from '../../api/settings.ts';
import { inspectQcow2 } from './qcow2Header.ts';

const execFileAsync = promisify(execFile);

/** The template's file name in the image directory (the builder's DATA_DISK_TEMPLATE). */
export const DATA_DISK_TEMPLATE = 'data-disk.qcow2';

export const templatePath = (imageDir: string): string => join(imageDir, DATA_DISK_TEMPLATE);

/** Where a disk is written before it is renamed into place (factory reset lists a leftover one). */
export const partialDiskPath = (disk: string): string => `${disk}.new`;

export type TemplateChoice = { use: true; path: string; virtualSize: number } | { use: false; why: string };

/**
 * Whether the template at `path` can make a disk of `sizeBytes` (pure apart from reading its header): it must
 * be there, be qcow2 and no larger than the disk (a file system is grown, never shrunk). A template naming a
 * backing or external data file is refused outright (T-43): it would make QEMU read another host file.
 */
export function chooseTemplate(path: string, sizeBytes: number): TemplateChoice {
  const info = inspectQcow2(path);
  if (!info) return { use: false, why: `the image has no formatted disk template (${DATA_DISK_TEMPLATE})` };
  if (info.backingFile || info.externalDataFile) {
    throw new Error(`the image's disk template ${path} names another file of the host (a backing or data file); Berth refuses it: reinstall Berth or rebuild the image with \`npm run vm:build\``);
  }
  if (info.virtualSize > sizeBytes) return { use: false, why: `the image's disk template (${formatSize(info.virtualSize)}) is larger than the ${formatSize(sizeBytes)} set` };
  return { use: true, path, virtualSize: info.virtualSize };
}

/**
 * Make `disk` a copy of the template, grown to `sizeBytes` when that is larger (the guest's disk step grows
 * the file system online with resize2fs). Written beside it and renamed, so a crash never leaves half a disk.
 */
export async function diskFromTemplate(t: { path: string; virtualSize: number }, disk: string, sizeBytes: number, qemuImg = 'qemu-img'): Promise<string> {
  const tmp = partialDiskPath(disk);
  try {
    copyFileSync(t.path, tmp); // a few MB of metadata; the rest of the qcow2 is unallocated
    chmodSync(tmp, 0o600); // the image's files may be read-only; the disk is the user's own data
    if (sizeBytes > t.virtualSize) await execFileAsync(qemuImg, ['resize', '-q', '-f', 'qcow2', tmp, String(sizeBytes)]);
    renameSync(tmp, disk);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  const grown = sizeBytes > t.virtualSize ? `, grown from ${formatSize(t.virtualSize)}` : '';
  return `created ${disk} (${formatSize(sizeBytes)}) from the image's formatted template${grown}`;
}
