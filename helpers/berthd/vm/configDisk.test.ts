// Owns: tests of configDisk.ts: ustar output extracted by the real GNU tar, determinism and block
// padding, configDiskFiles validation, and the environment file sourced by a real /bin/sh.

import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { configDiskFiles, ustar, writeConfigDisk, type GuestConfig } from './configDisk.ts';

const hasTar = spawnSync('tar', ['--version'], { encoding: 'utf8' }).stdout?.includes('GNU tar') === true;

const sample: GuestConfig = {
  hostname: 'berth-vm1',
  daemonJson: { 'log-level': 'warn', 'registry-mirrors': ['https://mirror.example'], features: { buildkit: true } },
  environment: {
    HTTP_PROXY: 'http://user:p@ss@proxy.example:3128',
    NO_PROXY: 'localhost,127.0.0.1,.internal',
    TRICKY: `it's "quoted" $HOME $(id) \`id\` ; \\ end  `,
    EMPTY: '',
    _under_score9: 'x',
  },
  mounts: [
    { fstype: '9p', tag: 'home', guestPath: '/Users/me', readOnly: false },
    { fstype: 'virtiofs', tag: 'data', guestPath: '/mnt/my data', readOnly: true },
  ],
};

describe('ustar', () => {
  let tmp: string;
  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-cfgdisk-'));
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  it.skipIf(!hasTar)('is extracted by GNU tar into the same files', () => {
    const files: Record<string, string> = {
      ...configDiskFiles(sample),
      'big.txt': 'x'.repeat(512 * 3 + 7),
      'exact-block': 'y'.repeat(512),
      'empty.file': '',
      'unicode.txt': 'héllo ✓\n',
    };
    const archive = join(tmp, 'disk.tar');
    writeFileSync(archive, ustar(files));
    const out = join(tmp, 'out');
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out);
    const r = spawnSync('tar', ['-xf', archive, '-C', out], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readdirSync(out)).toEqual(['berth-config']);
    const dir = join(out, 'berth-config');
    expect(statSync(dir).isDirectory()).toBe(true);
    expect(readdirSync(dir).sort()).toEqual(Object.keys(files).sort());
    for (const [name, text] of Object.entries(files)) expect(readFileSync(join(dir, name), 'utf8')).toBe(text);

    // The listing agrees: a directory first, then the files sorted, all owned by 0/0.
    const list = spawnSync('tar', ['-tvf', archive, '--numeric-owner'], { encoding: 'utf8' });
    expect(list.status).toBe(0);
    const rows = list.stdout.trim().split('\n');
    expect(rows[0]).toMatch(/^drwxr-xr-x 0\/0 +0 .* berth-config\/$/);
    expect(rows.slice(1).map((r) => r.split(' ').at(-1))).toEqual(Object.keys(files).sort().map((n) => `berth-config/${n}`));
    for (const row of rows.slice(1)) expect(row).toMatch(/^-rw-r--r-- 0\/0 /);
  });

  it.skipIf(!hasTar)('passes GNU tar\'s checksum and format checks (no warnings in strict ustar mode)', () => {
    const archive = join(tmp, 'strict.tar');
    writeFileSync(archive, ustar({ a: '1' }));
    const r = spawnSync('tar', ['--format=ustar', '-tf', archive], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe('berth-config/\nberth-config/a\n');
  });

  it('is a whole number of 512-byte blocks (and of 10 KiB records)', () => {
    const cases: Record<string, string>[] = [{}, { a: '' }, { a: 'x' }, { a: 'x'.repeat(511) }, { a: 'x'.repeat(512) }, { a: 'x'.repeat(513) }, { a: 'x'.repeat(20000), b: 'y' }];
    for (const files of cases) {
      const out = ustar(files);
      expect(out.length % 512).toBe(0);
      expect(out.length % 10240).toBe(0);
    }
  });

  it('gives identical bytes for the same files, whatever their key order', () => {
    const a = ustar({ one: '1', two: '2', three: '3' });
    const b = ustar({ three: '3', two: '2', one: '1' });
    expect(a.equals(b)).toBe(true);
    expect(ustar(configDiskFiles(sample)).equals(ustar(configDiskFiles(sample)))).toBe(true);
    expect(a.equals(ustar({ one: '1', two: '2', three: '4' }))).toBe(false);
  });

  it('rejects file names with slashes, spaces or other characters', () => {
    for (const name of ['a/b', '../x', '.', '..', '...', 'sp ace', 'new\nline', '', 'ü']) {
      expect(() => ustar({ [name]: 'x' })).toThrow(/config disk file name not allowed/);
    }
  });

  it('writeConfigDisk writes the same bytes, owner-only', () => {
    const p = join(tmp, 'config.img');
    writeConfigDisk(p, sample);
    expect(readFileSync(p).equals(ustar(configDiskFiles(sample)))).toBe(true);
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });
});

describe('configDiskFiles', () => {
  it('writes only the files asked for', () => {
    expect(configDiskFiles({})).toEqual({});
    expect(configDiskFiles({ hostname: 'h' })).toEqual({ hostname: 'h\n' });
    expect(Object.keys(configDiskFiles(sample)).sort()).toEqual(['daemon.json', 'environment', 'hostname', 'mounts']);
  });

  it('writes daemon.json as JSON that reads back the same', () => {
    const f = configDiskFiles(sample);
    expect(JSON.parse(f['daemon.json']!)).toEqual(sample.daemonJson);
    expect(f['daemon.json']!.endsWith('}\n')).toBe(true);
  });

  it('writes one tab-separated line per mount', () => {
    expect(configDiskFiles(sample).mounts).toBe('9p\thome\t/Users/me\trw\nvirtiofs\tdata\t/mnt/my data\tro\n');
  });

  it('accepts valid host names and rejects bad ones', () => {
    for (const ok of ['a', 'berth', 'Berth-01', 'a'.repeat(63), '0abc']) expect(configDiskFiles({ hostname: ok }).hostname).toBe(`${ok}\n`);
    for (const bad of ['', '-a', 'a-', 'a_b', 'a.b', 'a b', 'a'.repeat(64), 'a\n', 'x;reboot', 'ä']) {
      expect(() => configDiskFiles({ hostname: bad })).toThrow(/is not a valid host name/);
    }
  });

  it('rejects bad environment names', () => {
    for (const bad of ['', '1ABC', 'A-B', 'A B', 'A=B', 'A;B', '$A', 'Ä']) {
      expect(() => configDiskFiles({ environment: { [bad]: 'v' } })).toThrow(/environment name .* is not valid/);
    }
  });

  it('rejects control characters in environment values', () => {
    for (const bad of ['a\nb', 'a\tb', 'a\0b', 'a\rb', 'a\x1bb', 'a\x7fb']) {
      expect(() => configDiskFiles({ environment: { X: bad } })).toThrow(/must not contain control characters/);
    }
  });

  it('rejects control characters in share tags and paths', () => {
    const m = { fstype: '9p' as const, tag: 'home', guestPath: '/home', readOnly: false };
    for (const bad of ['a\nb', 'a\tb', 'a\0b', 'a\rb']) {
      expect(() => configDiskFiles({ mounts: [{ ...m, guestPath: bad }] })).toThrow(/share path must not contain control characters/);
      expect(() => configDiskFiles({ mounts: [{ ...m, tag: bad }] })).toThrow(/share tag must not contain control characters/);
    }
  });

  it('writes an environment file that /bin/sh sources back to the same values', () => {
    const env = sample.environment!;
    const file = configDiskFiles(sample).environment!;
    const names = Object.keys(env);
    const script = `${file}\nfor n in ${names.join(' ')}; do eval "printf '%s\\0' \\"\\$$n\\""; done\nenv -0 | grep -z -E '^(${names.join('|')})=' | sort -z`;
    const r = spawnSync('/bin/sh', ['-c', script], { encoding: 'utf8', env: { PATH: '/usr/bin:/bin' } });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const parts = r.stdout.split('\0');
    expect(parts.slice(0, names.length)).toEqual(names.map((n) => env[n]));
    // Exported, so services started from that shell see them too.
    const exported = parts.slice(names.length, -1);
    expect(exported).toEqual(names.map((n) => `${n}=${env[n]}`).sort());
  });
});
