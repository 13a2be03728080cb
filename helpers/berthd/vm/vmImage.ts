// Finds the VM image berthd boots (kernel, initrd, manifest) and creates the data disk on first use.
// BERTH_IMAGE_DIR overrides the location (packaged apps point it at their resources).
import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

/** Create the sparse qcow2 data disk when it does not exist yet; returns whether it was created. */
export async function ensureDataDisk(path: string, sizeGiB: number, qemuImg = 'qemu-img'): Promise<boolean> {
  if (existsSync(path)) return false;
  try {
    await execFileAsync(qemuImg, ['create', '-q', '-f', 'qcow2', path, `${sizeGiB}G`]);
  } catch (e) {
    throw new Error(`could not create the VM disk ${path} with ${qemuImg}: ${(e as Error).message}`, { cause: e });
  }
  return true;
}
