// Compresses the initramfs: lz4 (legacy frames, -9) by default, zstd at a chosen level on request; the
// kernel's decompressors read both. Fixed levels and worker counts make the output the same for the same input.
// lz4 unpacks ~1.3 s faster than zstd -19 under TCG for ~20 MB more (docs/performance.md).
import { spawn } from 'node:child_process';

/** Level 19 when zstd is asked for without a level; lower levels trade size for build speed. */
export const ZSTD_LEVEL = 19;

export type InitramfsCompression = { tool: 'lz4' } | { tool: 'zstd'; level: number };

/** BERTH_IMAGE_ZSTD_LEVEL set: zstd at that level; unset: lz4. */
export function zstdLevelFrom(value: string | undefined): number | undefined {
  if (value === undefined || value === '') return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 19) throw new Error(`BERTH_IMAGE_ZSTD_LEVEL must be a whole number from 1 to 19, not ${JSON.stringify(value)}`);
  return n;
}

export const compressionName = (c: InitramfsCompression): string => (c.tool === 'lz4' ? 'lz4 -9 (legacy frames)' : `zstd -${c.level}`);
export const compressionSuffix = (c: InitramfsCompression): string => (c.tool === 'lz4' ? 'lz4l9.lz4' : `${c.level}.zst`);

function run(tool: string, argv: string[], hint: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(tool, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.on('error', (e) => reject(new Error(`${tool} could not run (${e.message}): ${hint}`)));
    child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`${tool} ${argv.join(' ')} exited ${code}: ${err.trim()}`))));
  });
}

/** Compress `input` into `output`; rejects with the tool's message on failure. */
export function compressInitramfs(input: string, output: string, c: InitramfsCompression): Promise<void> {
  // The kernel's lz4 decompressor reads only the legacy frame format (-l).
  if (c.tool === 'lz4') return run('lz4', ['-l', '-9', '-q', '-f', input, output], 'apt-get install lz4');
  return run('zstd', [`-${c.level}`, '-T2', '-q', '-f', '--no-progress', input, '-o', output], 'apt-get install zstd');
}
