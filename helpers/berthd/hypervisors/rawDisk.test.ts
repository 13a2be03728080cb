// The sparse raw disk of HyperKit: created without allocating its blocks, grown, never shrunk.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { ensureRawDisk } from './rawDisk.ts';

let dir: string;
beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'rawdisk-'))));
afterEach(() => rmSync(dir, { recursive: true, force: true }));
const GiB = 1024 ** 3;

it('creates a sparse file of the set size, mode 0600', () => {
  const p = join(dir, 'data.raw');
  expect(ensureRawDisk(p, 8 * GiB).action).toBe('created');
  const st = statSync(p);
  expect(st.size).toBe(8 * GiB);
  expect(st.blocks * 512).toBeLessThan(1024 * 1024); // nothing written
  expect(st.mode & 0o777).toBe(0o600);
});

it('grows it, keeps it when equal, and never shrinks it', () => {
  const p = join(dir, 'data.raw');
  ensureRawDisk(p, 2 * GiB);
  expect(ensureRawDisk(p, 4 * GiB)).toMatchObject({ action: 'grown', sizeBytes: 4 * GiB });
  expect(ensureRawDisk(p, 4 * GiB).action).toBe('unchanged');
  const r = ensureRawDisk(p, 1 * GiB);
  expect(r).toMatchObject({ action: 'kept-larger', sizeBytes: 4 * GiB });
  expect(r.message).toMatch(/never shrunk/);
  expect(statSync(p).size).toBe(4 * GiB);
});

it('refuses odd sizes and a folder in the disk\'s place', () => {
  expect(() => ensureRawDisk(join(dir, 'a'), 1000)).toThrow(/512-byte sectors/);
  writeFileSync(join(dir, 'f'), '');
  expect(() => ensureRawDisk(dir, 2 * GiB)).toThrow(/not a regular file/);
});
