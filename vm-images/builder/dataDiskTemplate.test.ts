// The data-disk template: the guest disk step's file system (its mke2fs options, checked against the step
// itself), built for real with the host's e2fsprogs and qemu-img — small, reproducible, zeroed groups.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDataDiskTemplate, DATA_DISK_TEMPLATE, TEMPLATE_BYTES, templateIds, templateMke2fsArgs, upstreamVersion } from './dataDiskTemplate.ts';

const vmDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const GiB = 1024 ** 3;
let dir: string;
/** The host mke2fs's version (it prints it on stderr). */
const hostVersion = (): string => upstreamVersion(spawnSync('mke2fs', ['-V'], { encoding: 'utf8' }).stderr.split('\n')[0] ?? '') ?? '';

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-template-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the template is the file system the guest would make', () => {
  it('uses the disk step’s type, label and -E options (lazy init replaced by storage known to read as zeros)', () => {
    const step = readFileSync(join(vmDir, 'rootfs', 'etc', 'berth', 'steps', 'disk'), 'utf8');
    const line = step.split('\n').find((l) => /^\s*\/sbin\/mke2fs /.test(l))!;
    const guest = line.trim().split(/\s+/);
    const ours = templateMke2fsArgs('/x.raw', templateIds('1.47.0', TEMPLATE_BYTES));
    const value = (argv: string[], flag: string): string | undefined => argv[argv.indexOf(flag) + 1];
    expect(value(ours, '-t')).toBe(value(guest, '-t'));
    expect(value(ours, '-L')).toBe(value(guest, '-L'));
    const guestE = value(guest, '-E')!.split(',');
    const ourE = value(ours, '-E')!.split(',');
    for (const opt of guestE) expect(ourE).toContain(opt);
    expect(ourE).toContain('assume_storage_prezeroed=1');
    // Nothing else in the guest's line changes the file system (-q, -F and the device).
    expect(guest.filter((a) => a.startsWith('-')).sort()).toEqual(['-E', '-F', '-L', '-q', '-t']);
  });

  it('derives the UUID and hash seed from what makes it (reproducible, UUID-shaped)', () => {
    const a = templateIds('1.47.0', TEMPLATE_BYTES);
    expect(a).toEqual(templateIds('1.47.0', TEMPLATE_BYTES));
    expect(a.uuid).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.hashSeed).not.toBe(a.uuid);
    expect(templateIds('1.47.1', TEMPLATE_BYTES).uuid).not.toBe(a.uuid);
  });

  it('reads upstream versions from Debian versions and mke2fs -V', () => {
    expect(upstreamVersion('1.47.0-2+b2')).toBe('1.47.0');
    expect(upstreamVersion('1:1.46.5-2')).toBe('1.46.5');
    expect(upstreamVersion('mke2fs 1.47.0 (5-Feb-2023)')).toBe('1.47.0');
    expect(upstreamVersion('mke2fs')).toBeUndefined();
  });
});

describe('buildDataDiskTemplate (host e2fsprogs and qemu-img)', () => {
  const sha = (p: string): string => createHash('sha256').update(readFileSync(p)).digest('hex');

  it('writes a small qcow2 holding a clean ext4 labelled berth-data, the same bytes twice, inode tables marked zeroed', async () => {
    const version = hostVersion();
    const build = async (out: string) => {
      execFileSync('mkdir', ['-p', out]);
      return buildDataDiskTemplate({ outDir: out, workDir: join(dir, 'work'), guestE2fsprogs: `${version}-2`, mke2fsConf: '/etc/mke2fs.conf', sizeBytes: 4 * GiB });
    };
    const r1 = await build(join(dir, 'one'));
    const r2 = await build(join(dir, 'two'));
    expect(r1).toEqual({ built: true, file: DATA_DISK_TEMPLATE, mke2fs: version });
    expect(r2.built).toBe(true);
    const t = join(dir, 'one', DATA_DISK_TEMPLATE);
    expect(sha(t)).toBe(sha(join(dir, 'two', DATA_DISK_TEMPLATE)));
    expect(statSync(t).size).toBeLessThan(8 * 1024 * 1024);
    expect(JSON.parse(execFileSync('qemu-img', ['info', '--output=json', t], { encoding: 'utf8' }))).toMatchObject({ format: 'qcow2', 'virtual-size': 4 * GiB });
    const raw = join(dir, 'check.raw');
    execFileSync('qemu-img', ['convert', '-f', 'qcow2', '-O', 'raw', t, raw]);
    execFileSync('e2fsck', ['-f', '-n', raw], { stdio: 'ignore' });
    const dump = execFileSync('dumpe2fs', [raw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    expect(dump).toMatch(/^Filesystem volume name:\s+berth-data$/m);
    expect(dump).toMatch(new RegExp(`^Filesystem UUID:\\s+${templateIds(version, 4 * GiB).uuid}$`, 'm'));
    const groups = dump.split('\n').filter((l) => /^Group \d+:/.test(l));
    expect(groups.length).toBe(32);
    expect(groups.every((g) => g.includes('ITABLE_ZEROED'))).toBe(true);
    expect(existsSync(join(dir, 'work', 'data-disk.raw'))).toBe(false);
  });

  it('builds nothing, saying why, when the host mke2fs is another version than the guest’s', async () => {
    const out = join(dir, 'other');
    execFileSync('mkdir', ['-p', out]);
    const r = await buildDataDiskTemplate({ outDir: out, workDir: join(dir, 'work'), guestE2fsprogs: '0.9.9-1', mke2fsConf: '/etc/mke2fs.conf', sizeBytes: GiB });
    expect(r.built).toBe(false);
    expect(!r.built && r.why).toMatch(/the guest's e2fsprogs 0\.9\.9: a template must come from the same version/);
    expect(existsSync(join(out, DATA_DISK_TEMPLATE))).toBe(false);
  });
});
