// Compresses the initramfs with the zstd tool; the kernel's decompressor reads its frames.
// Fixed level and worker count make the output the same for the same input.
import { spawn } from 'node:child_process';

/** Level 19 for release images; BERTH_IMAGE_ZSTD_LEVEL (1–19) trades size for build speed while iterating. */
export const ZSTD_LEVEL = Number(process.env.BERTH_IMAGE_ZSTD_LEVEL ?? 19);
if (!Number.isInteger(ZSTD_LEVEL) || ZSTD_LEVEL < 1 || ZSTD_LEVEL > 19) throw new Error('BERTH_IMAGE_ZSTD_LEVEL must be a whole number from 1 to 19');

/** Compress `input` into `output` with zstd; rejects with the tool's message on failure. */
export function zstdCompress(input: string, output: string, level = ZSTD_LEVEL): Promise<void> {
  return new Promise((resolve, reject) => {
    const argv = [`-${level}`, '-T2', '-q', '-f', '--no-progress', input, '-o', output];
    const child = spawn('zstd', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('error', (e) => reject(new Error(`zstd could not run (${e.message}): apt-get install zstd`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`zstd ${argv.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}
