// `npm run vm:build-hyperv`: builds vm-images/out/x86_64/hyperv-boot.iso (and .json) from the built image
// for the Hyper-V driver (docs/drivers.md). Linux build machines only; exits 1 with the reason on failure.
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { imageDir } from '../vm/vmImage.ts';
import { HYPERV_BOOT_ISO } from './hypervBootMedium.ts';
import { buildHypervBootMedium } from './hypervBootMediumBuild.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dir = imageDir();
try {
  const out = join(dir, HYPERV_BOOT_ISO);
  const m = await buildHypervBootMedium({ imageDir: dir, cacheDir: process.env.BERTH_IMAGE_CACHE ?? join(repo, 'vm-images', '.cache'), out, log: (s) => console.log(s) });
  console.log(`built ${m.file}: ${(m.bytes / 1e6).toFixed(1)} MB, sha256 ${m.sha256}`);
  console.log(`command line: ${m.cmdline}`);
} catch (e) {
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
