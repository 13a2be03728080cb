// A new data disk from the image's formatted template (real qemu-img and e2fsprogs on the host): copied, grown
// when the setting is larger, blank (the guest formats it) without a usable template, refused when it names
// another host file (T-43).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { chooseTemplate, DATA_DISK_TEMPLATE, templatePath } from './diskTemplate.ts';
import { inspectQcow2 } from './qcow2Header.ts';
import { ensureDataDisk } from './vmImage.ts';

const GiB = 1024 ** 3;
let dir: string;
let imageDir: string;

/** The label of the ext4 inside a qcow2, read on the host (qemu-img to raw, dumpe2fs), or '' when there is none. */
function ext4Label(qcow2: string): string {
  const raw = join(dir, `probe-${Date.now()}.raw`);
  execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', qcow2, raw]);
  try {
    const out = execFileSync('dumpe2fs', ['-h', raw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    return /^Filesystem volume name:\s+(.*)$/m.exec(out)?.[1] ?? '';
  } catch {
    return '';
  } finally {
    rmSync(raw, { force: true });
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-disk-template-'));
  imageDir = join(dir, 'image');
  execFileSync('mkdir', ['-p', imageDir]);
  // A small template made the way the builder makes it (a sparse raw, mke2fs, qemu-img convert).
  const raw = join(dir, 'template.raw');
  writeFileSync(raw, '');
  execFileSync('truncate', ['-s', '1G', raw]);
  execFileSync('mke2fs', ['-q', '-F', '-t', 'ext4', '-L', 'berth-data', '-E', 'nodiscard,assume_storage_prezeroed=1', raw]);
  execFileSync('qemu-img', ['convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, templatePath(imageDir)]);
  execFileSync('chmod', ['0444', templatePath(imageDir)]); // as a packaged app's resources may be
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ensureDataDisk with the image template', () => {
  it('copies the template for a disk of its size: formatted berth-data, writable, the same contents', async () => {
    const disk = join(dir, 'same.qcow2');
    const did = await ensureDataDisk(disk, 1 * GiB, { template: templatePath(imageDir) });
    expect(did).toMatch(/from the image's formatted template$/);
    expect(inspectQcow2(disk)).toMatchObject({ virtualSize: 1 * GiB, backingFile: false, externalDataFile: false });
    expect(statSync(disk).mode & 0o777).toBe(0o600);
    expect(ext4Label(disk)).toBe('berth-data');
    execFileSync('qemu-img', ['compare', '-q', templatePath(imageDir), disk]);
    expect(await ensureDataDisk(disk, 1 * GiB, { template: templatePath(imageDir) })).toBeUndefined();
  });

  it('grows the copy when the disk set is larger (the guest grows the file system online)', async () => {
    const disk = join(dir, 'larger.qcow2');
    const did = await ensureDataDisk(disk, 3 * GiB, { template: templatePath(imageDir) });
    expect(did).toMatch(/grown from 1 GiB/);
    expect(inspectQcow2(disk)?.virtualSize).toBe(3 * GiB);
    expect(ext4Label(disk)).toBe('berth-data');
  });

  it('makes a blank disk (the guest formats it) when the template is missing or larger than the disk set', async () => {
    const missing = join(dir, 'missing.qcow2');
    expect(await ensureDataDisk(missing, 1 * GiB, { template: join(dir, 'nowhere', DATA_DISK_TEMPLATE) })).toMatch(/sparse; the guest formats it: the image has no formatted disk template/);
    expect(ext4Label(missing)).toBe('');
    const smaller = join(dir, 'smaller.qcow2');
    expect(await ensureDataDisk(smaller, 512 * 1024 ** 2, { template: templatePath(imageDir) })).toMatch(/template \(1 GiB\) is larger than the 512 MiB set/);
    expect(inspectQcow2(smaller)?.virtualSize).toBe(512 * 1024 ** 2);
    expect(ext4Label(smaller)).toBe('');
  });

  it('never replaces a disk that is there', async () => {
    const disk = join(dir, 'kept.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '2G']);
    expect(await ensureDataDisk(disk, 2 * GiB, { template: templatePath(imageDir) })).toBeUndefined();
    expect(ext4Label(disk)).toBe('');
  });
});

describe('T-43: a template or disk that names another host file', () => {
  it('refuses a template with a backing file or an external data file, before any disk is made', async () => {
    const bad = join(dir, 'bad');
    execFileSync('mkdir', ['-p', bad]);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', templatePath(imageDir), templatePath(bad)]);
    expect(() => chooseTemplate(templatePath(bad), 2 * GiB)).toThrow(/names another file of the host/);
    const disk = join(dir, 'never.qcow2');
    await expect(ensureDataDisk(disk, 2 * GiB, { template: templatePath(bad) })).rejects.toThrow(/refuses it/);
    expect(inspectQcow2(disk)).toBeUndefined();

    rmSync(templatePath(bad));
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${join(bad, 'secret.raw')}`, templatePath(bad), '1G']);
    expect(inspectQcow2(templatePath(bad))?.externalDataFile).toBe(true);
    expect(() => chooseTemplate(templatePath(bad), 2 * GiB)).toThrow(/names another file of the host/);
  });

  it('refuses an existing disk with an external data file', async () => {
    const disk = join(dir, 'external.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-o', `data_file=${join(dir, 'external.raw')}`, disk, '1G']);
    await expect(ensureDataDisk(disk, 1 * GiB)).rejects.toThrow(/names a backing file or data file/);
  });
});
