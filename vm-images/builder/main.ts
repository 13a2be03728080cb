// `npm run vm:build`: builds vm-images/out/x86_64/{kernel,vmlinux,initrd.img,data-disk.qcow2,manifest.json} from berth.yml.
// Prints progress while it works and the sizes and hashes when done; exits 1 with the reason on failure.
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildImage } from './buildImage.ts';
import { BuildProgress } from './buildProgress.ts';
import { zstdLevelFrom } from './zstdCompress.ts';

const vmDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const progress = new BuildProgress();
const mb = (n: number): string => `${(n / 1e6).toFixed(1)} MB`;

try {
  const outDir = process.env.BERTH_IMAGE_OUT ?? join(vmDir, 'out', 'x86_64');
  const manifest = await buildImage({
    specFile: process.env.BERTH_IMAGE_SPEC ?? join(vmDir, 'berth.yml'),
    outDir,
    cacheDir: process.env.BERTH_IMAGE_CACHE ?? join(vmDir, '.cache'),
    progress,
    zstdLevel: zstdLevelFrom(process.env.BERTH_IMAGE_ZSTD_LEVEL),
  });
  const { kernel, initrd } = manifest.artifacts;
  progress.done(`built ${relative(process.cwd(), outDir) || '.'}: kernel ${manifest.kernelVersion} ${mb(kernel.bytes)} (vmlinux ${mb(manifest.artifacts.vmlinux.bytes)}), initrd ${mb(initrd.bytes)} ` +
    `(${manifest.compression}, ${mb(manifest.initrdUncompressedBytes)} unpacked, ${manifest.files} entries, ${manifest.modules.length} modules), total ${mb(kernel.bytes + initrd.bytes)}`);
  console.log(`kernel     sha256 ${kernel.sha256}`);
  console.log(`initrd.img sha256 ${initrd.sha256}`);
  const t = manifest.artifacts.dataDisk;
  console.log(t ? `${t.file} ${mb(t.bytes)} (ext4, ${mb(manifest.dataDiskTemplate!.virtualBytes)} virtual, mke2fs ${manifest.dataDiskTemplate!.mke2fs}) sha256 ${t.sha256}` : 'no data-disk template: the guest formats its disk at first boot');
} catch (e) {
  progress.done('image build failed');
  console.error(`error: ${(e as Error).message}`);
  process.exit(1);
}
