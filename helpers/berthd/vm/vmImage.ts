// Finds the VM image berthd boots (kernel, initrd, manifest) and creates the data disk on first use
// (from the image's formatted template when it has one).
// BERTH_IMAGE_DIR overrides the location (packaged apps point it at their resources).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { formatSize } from '../../api/settings.ts';
import { chooseTemplate, diskFromTemplate } from './diskTemplate.ts';
import { inspectQcow2 } from './qcow2Header.ts';

const execFileAsync = promisify(execFile);

export type VmImage = { kernel: string; initrd: string; cmdline: string; kernelVersion: string };

export function imageDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.BERTH_IMAGE_DIR ?? join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'vm-images', 'out', 'x86_64');
}

export function loadVmImage(dir = imageDir()): VmImage {
  const manifest = join(dir, 'manifest.json');
  if (!existsSync(manifest)) throw new Error(`no VM image in ${dir}: build it with \`npm run vm:build\``);
  const m = JSON.parse(readFileSync(manifest, 'utf8')) as { cmdline: string; kernelVersion: string };
  const kernel = join(dir, 'kernel');
  const initrd = join(dir, 'initrd.img');
  for (const f of [kernel, initrd]) if (!existsSync(f)) throw new Error(`${f} is missing: rebuild the image with \`npm run vm:build\``);
  return { kernel, initrd, cmdline: m.cmdline, kernelVersion: m.kernelVersion };
}

/**
 * Make the VM's qcow2 data disk ready for a boot at `sizeBytes`: when missing, copy the image's formatted
 * template (diskTemplate.ts) or, without a usable one, create it blank and sparse (the guest formats it);
 * grow it when the setting grew (the guest grows its file system online at boot), never shrink it, and
 * refuse a disk that names a backing or external data file (T-43). Returns what was done, for the log.
 */
export async function ensureDataDisk(path: string, sizeBytes: number, o: { template?: string; qemuImg?: string } = {}): Promise<string | undefined> {
  const qemuImg = o.qemuImg ?? 'qemu-img';
  const info = inspectQcow2(path);
  if (!info && existsSync(path)) throw new Error(`${path} is not a qcow2 disk image; move it away (Berth then creates a new, empty disk) or restore it from a backup`);
  if (info && (info.backingFile || info.externalDataFile)) {
    throw new Error(`${path} names a backing file or data file; Berth does not boot disks that read other files of the host (move it away to start with a new disk)`);
  }
  // Chosen before the qemu-img work: a refused template (T-43) is reported as it is, not as a qemu-img failure.
  const t = !info && o.template ? chooseTemplate(o.template, sizeBytes) : undefined;
  try {
    if (!info) {
      if (t?.use) return await diskFromTemplate(t, path, sizeBytes, qemuImg);
      await execFileAsync(qemuImg, ['create', '-q', '-f', 'qcow2', path, String(sizeBytes)]);
      return `created ${path} (${formatSize(sizeBytes)}, sparse; the guest formats it${t ? `: ${t.why}` : ''})`;
    }
    if (info.virtualSize < sizeBytes) {
      await execFileAsync(qemuImg, ['resize', '-q', '-f', 'qcow2', path, String(sizeBytes)]);
      return `grew ${path} from ${formatSize(info.virtualSize)} to ${formatSize(sizeBytes)}; the guest grows its file system at boot`;
    }
    return undefined;
  } catch (e) {
    throw new Error(`could not prepare the VM disk ${path} with ${qemuImg}: ${(e as Error).message}`, { cause: e });
  }
}
