// Compresses the initramfs with the zstd tool; the kernel's decompressor reads its frames.
// Fixed level and worker count make the output the same for the same input.
import { spawn } from 'node:child_process';

/** Level 19 for release images; lower levels trade size for build speed while iterating. */
export const ZSTD_LEVEL = 19;

export function zstdLevelFrom(value: string | undefined): number {
  if (value === undefined || value === '') return ZSTD_LEVEL;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 19) throw new Error(`BERTH_IMAGE_ZSTD_LEVEL must be a whole number from 1 to 19, not ${JSON.stringify(value)}`);
  return n;
}

/** Compress `input` into `output` with zstd; rejects with the tool's message on failure. */
export function zstdCompress(input: string, output: string, level: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const argv = [`-${level}`, '-T2', '-q', '-f', '--no-progress', input, '-o', output];
    const child = spawn('zstd', argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('error', (e) => reject(new Error(`zstd could not run (${e.message}): apt-get install zstd`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`zstd ${argv.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}
