// Extracts the uncompressed kernel (vmlinux, an ELF with the PVH entry note) from Debian's bzImage, so QEMU
// can enter the kernel directly: no firmware real-mode setup and no in-guest XZ decompression, which under
// TCG take ~2.4 s of every boot (docs/performance.md). The bzImage stays the `kernel` artifact for others.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';

const XZ_MAGIC = Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]);
const ELF_MAGIC = Buffer.from([0x7f, 0x45, 0x4c, 0x46]);

/** Where the compressed payload of a bzImage starts (Debian's amd64 kernels are XZ-compressed). */
export function xzPayloadOffset(bzImage: Buffer): number {
  const at = bzImage.indexOf(XZ_MAGIC);
  if (at < 0) throw new Error('the kernel image holds no XZ payload: cannot extract vmlinux for a PVH boot');
  return at;
}

/** Write the vmlinux inside `bzImagePath` to `outPath` (xz from xz-utils decompresses it). */
export function extractVmlinux(bzImagePath: string, outPath: string): Promise<void> {
  const image = readFileSync(bzImagePath);
  const payload = image.subarray(xzPayloadOffset(image));
  return new Promise((resolve, reject) => {
    const out = openSync(outPath, 'w', 0o644);
    // --single-stream: the bzImage carries a few bytes (the size) after the XZ stream.
    const child = spawn('xz', ['--decompress', '--stdout', '--single-stream'], { stdio: ['pipe', out, 'pipe'] });
    closeSync(out);
    let err = '';
    child.stderr!.on('data', (d) => (err += String(d)));
    child.on('error', (e) => reject(new Error(`xz could not run (${e.message}): apt-get install xz-utils`)));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`xz could not decompress the kernel's payload (exit ${code}): ${err.trim()}`));
      const head = Buffer.alloc(4);
      const fd = openSync(outPath, 'r');
      try {
        readSync(fd, head, 0, 4, 0);
      } finally {
        closeSync(fd);
      }
      if (!head.equals(ELF_MAGIC)) return reject(new Error('the kernel payload is not an ELF vmlinux'));
      resolve();
    });
    child.stdin!.on('error', () => {});
    child.stdin!.end(payload);
  });
}
