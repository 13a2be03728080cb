// The vmlinux extraction on a synthetic bzImage: setup code, an XZ stream holding an ELF, trailing size bytes.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { extractVmlinux, xzPayloadOffset } from './pvhKernel.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function fakeBzImage(payload: Buffer): Buffer {
  const setup = Buffer.alloc(4096, 0x90);
  const xz = execFileSync('xz', ['--compress', '--stdout', '--format=xz'], { input: payload });
  return Buffer.concat([setup, xz, Buffer.from([1, 2, 3, 4])]);
}

describe('extractVmlinux', () => {
  it('finds the XZ payload after the setup code and writes the ELF inside it', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pvh-'));
    const elf = Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46]), Buffer.alloc(100_000, 7)]);
    const bz = fakeBzImage(elf);
    expect(xzPayloadOffset(bz)).toBe(4096);
    writeFileSync(join(dir, 'kernel'), bz);
    await extractVmlinux(join(dir, 'kernel'), join(dir, 'vmlinux'));
    expect(readFileSync(join(dir, 'vmlinux')).equals(elf)).toBe(true);
  });

  it('refuses a payload that is not an ELF', async () => {
    dir = mkdtempSync(join(tmpdir(), 'pvh-'));
    writeFileSync(join(dir, 'kernel'), fakeBzImage(Buffer.from('not a kernel')));
    await expect(extractVmlinux(join(dir, 'kernel'), join(dir, 'vmlinux'))).rejects.toThrow(/not an ELF vmlinux/);
  });

  it('says why when the image has no XZ payload', () => {
    expect(() => xzPayloadOffset(Buffer.alloc(1024))).toThrow(/no XZ payload/);
  });
});
