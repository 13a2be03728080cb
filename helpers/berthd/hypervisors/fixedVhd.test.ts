// The fixed VHD writer against the VHD spec's footer layout and CHS algorithm, and against QEMU's reader
// (qemu-img, its vpc driver) and writer (qemu-img create -f vpc), which are independent of ours.
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ustar } from '../vm/configDisk.ts';
import { FIXED_VHD_MAX_DATA, fixedVhd, fixedVhdSize, vhdChecksum, vhdFooter, vhdGeometry, VHD_FOOTER_BYTES } from './fixedVhd.ts';

const MiB = 1024 * 1024;
const UUID = '0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0';
const NOW = new Date('2026-11-30T12:00:00Z');
const dir = mkdtempSync(join(tmpdir(), 'vhd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const geometryOf = (footer: Buffer): string => `${footer.readUInt16BE(56)}/${footer.readUInt8(58)}/${footer.readUInt8(59)}`;
const g = (sectors: number): string => {
  const x = vhdGeometry(sectors);
  return `${x.cylinders}/${x.heads}/${x.sectorsPerTrack}`;
};

describe('VHD footer', () => {
  const f = vhdFooter({ sizeBytes: 17 * MiB, uuid: UUID, now: NOW });

  it('holds the spec\'s fields at the spec\'s offsets, big-endian', () => {
    expect(f.length).toBe(512);
    expect(f.subarray(0, 8).toString('ascii')).toBe('conectix');
    expect(f.readUInt32BE(8)).toBe(2); // features: the reserved bit
    expect(f.readUInt32BE(12)).toBe(0x00010000);
    expect(f.readBigUInt64BE(16)).toBe(0xffffffffffffffffn);
    expect(f.readUInt32BE(24)).toBe(Date.parse('2026-11-30T12:00:00Z') / 1000 - Date.parse('2000-01-01T00:00:00Z') / 1000);
    expect(f.subarray(28, 32).toString('ascii')).toBe('brth');
    expect(f.readUInt32BE(32)).toBe(0x00010000);
    expect(f.subarray(36, 40).toString('ascii')).toBe('Wi2k');
    expect(f.readBigUInt64BE(40)).toBe(BigInt(17 * MiB));
    expect(f.readBigUInt64BE(48)).toBe(BigInt(17 * MiB));
    expect(geometryOf(f)).toBe('512/4/17');
    expect(f.readUInt32BE(60)).toBe(2); // fixed
    expect(f.subarray(68, 84).toString('hex')).toBe(UUID.replace(/-/g, ''));
    expect(f[84]).toBe(0);
    expect(f.subarray(85).every((b) => b === 0)).toBe(true);
  });

  it('checksum: the one\'s complement of the byte sum with the checksum field as zero; any change breaks it', () => {
    let sum = 0;
    for (let i = 0; i < 512; i++) if (i < 64 || i >= 68) sum += f[i]!;
    expect(f.readUInt32BE(64)).toBe(~sum >>> 0);
    expect(vhdChecksum(f)).toBe(f.readUInt32BE(64));
    const changed = Buffer.from(f);
    changed[48] = 1;
    expect(vhdChecksum(changed)).not.toBe(f.readUInt32BE(64));
  });

  it('refuses sizes that are not whole sectors, bad ids and times before 2000', () => {
    expect(() => vhdFooter({ sizeBytes: 1000, uuid: UUID, now: NOW })).toThrow(/whole 512-byte sectors/);
    expect(() => vhdFooter({ sizeBytes: 512, uuid: 'x', now: NOW })).toThrow(/16 bytes as hex/);
    expect(() => vhdFooter({ sizeBytes: 512, uuid: UUID, now: new Date('1999-12-31T23:59:59Z') })).toThrow(/out of its range/);
  });
});

describe('CHS geometry (the spec\'s algorithm)', () => {
  it('gives the spec\'s answer in each of its branches, and stops at its maximum', () => {
    expect(g(2048)).toBe('30/4/17'); // 1 MiB: 17 sectors a track, at least 4 heads
    expect(g(20480)).toBe('301/4/17'); // 10 MiB
    expect(g(34816)).toBe('512/4/17'); // 17 MiB: exactly covered
    expect(g(200_000)).toBe('980/12/17'); // more heads before more sectors a track
    expect(g(12288 * 17)).toBe('421/16/31'); // cylinders would reach 1024 a head at 17: 31 sectors a track
    expect(g(300_000)).toBe('604/16/31'); // more than 16 heads at 17: 31
    expect(g(2 * 1024 * 2048)).toBe('4161/16/63'); // 2 GiB: 63
    expect(g(65535 * 16 * 63)).toBe('16191/16/255'); // from here 255
    expect(g(65535 * 16 * 255 * 4)).toBe('65535/16/255'); // capped
  });

  it('agrees with qemu-img create -f vpc, which writes the geometry of the size it rounds up to', () => {
    for (const size of ['1M', '5M', '17M', '100M', '700M', '3G']) {
      const file = join(dir, `qemu-${size}.vhd`);
      execFileSync('qemu-img', ['create', '-q', '-f', 'vpc', '-o', 'subformat=fixed', file, size]);
      const footer = Buffer.alloc(512);
      const fd = openSync(file, 'r');
      readSync(fd, footer, 0, 512, statSync(file).size - 512);
      closeSync(fd);
      expect(geometryOf(footer), size).toBe(g(Number(footer.readBigUInt64BE(48)) / 512));
    }
  });
});

describe('fixed VHD', () => {
  it('is sized in whole MiB that the CHS geometry covers exactly (17 MiB at least)', () => {
    expect(fixedVhdSize(0)).toBe(17 * MiB);
    expect(fixedVhdSize(10240)).toBe(17 * MiB);
    expect(fixedVhdSize(17 * MiB)).toBe(17 * MiB);
    expect(fixedVhdSize(17 * MiB + 1)).toBe(155 * MiB);
    for (const n of [0, 17 * MiB + 1, 200 * MiB]) {
      const s = fixedVhdSize(n);
      const x = vhdGeometry(s / 512);
      expect(s % MiB).toBe(0);
      expect(x.cylinders * x.heads * x.sectorsPerTrack * 512).toBe(s);
    }
    expect(() => fixedVhdSize(FIXED_VHD_MAX_DATA + 1)).toThrow(/more than the 1024 MiB/);
  });

  it('is the data, zeros, then the footer at the very end', () => {
    const tar = ustar({ hostname: 'h\n' });
    const vhd = fixedVhd(tar, { uuid: UUID, now: NOW });
    expect(vhd.length).toBe(17 * MiB + VHD_FOOTER_BYTES);
    expect(vhd.subarray(0, tar.length).equals(tar)).toBe(true);
    expect(vhd.subarray(tar.length, 17 * MiB).every((b) => b === 0)).toBe(true);
    expect(vhd.subarray(17 * MiB).equals(vhdFooter({ sizeBytes: 17 * MiB, uuid: UUID, now: NOW }))).toBe(true);
  });

  it('qemu-img reads it as a vpc disk of its current size, and the data comes back out unchanged', () => {
    const tar = ustar({ hostname: 'hv-test\n', 'daemon.json': '{"debug":true}\n' });
    const file = join(dir, 'config.vhd');
    writeFileSync(file, fixedVhd(tar, { uuid: UUID, now: NOW }));
    // A fixed VHD's only footer is at its end; QEMU probes a file's start, so the format is named (-f vpc).
    const info = JSON.parse(execFileSync('qemu-img', ['info', '-f', 'vpc', '--output=json', file], { encoding: 'utf8' })) as { format: string; 'virtual-size': number };
    expect(info.format).toBe('vpc');
    expect(info['virtual-size']).toBe(17 * MiB);
    expect(execFileSync('qemu-img', ['info', '-f', 'vpc', file], { encoding: 'utf8' })).toMatch(/^file format: vpc\nvirtual size: 17 MiB \(17825792 bytes\)$/m);
    // Reading the current size instead of the geometry (as Hyper-V does) gives the same disk.
    const bySize = JSON.parse(execFileSync('qemu-img', ['info', '--output=json', '--image-opts', `driver=vpc,force_size_calc=current_size,file.filename=${file}`], { encoding: 'utf8' })) as { 'virtual-size': number };
    expect(bySize['virtual-size']).toBe(17 * MiB);
    const out = join(dir, 'config.raw');
    execFileSync('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', file, out]);
    const raw = readFileSync(out);
    expect(raw.length).toBe(17 * MiB);
    expect(raw.subarray(0, tar.length).equals(tar)).toBe(true);
    expect(execFileSync('tar', ['-t', '-f', out], { encoding: 'utf8' }).trim().split('\n')).toEqual(['berth-config/', 'berth-config/daemon.json', 'berth-config/hostname']);
  });
});
