// Owns: tests of elfReader.ts against real system binaries, gcc-built programs, synthetic
// ELF files (elf.testkit.ts), real kernel modules when present, and a seeded mutation fuzz.

import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDynElf, buildModule, buildRelElf } from './elf.testkit.ts';
import {
  ElfFormatError,
  EM_X86_64,
  isElf,
  moduleDepends,
  moduleSoftdeps,
  readElfInfo,
  readModinfo,
  readSection,
} from './elfReader.ts';

const LIBC = '/lib/x86_64-linux-gnu/libc.so.6';
const hasTool = (tool: string): boolean => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status === 0;
const hasGcc = hasTool('gcc');
const hasReadelf = hasTool('readelf');

function expectElfError(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught).toBeInstanceOf(ElfFormatError);
  expect((caught as Error).message).toMatch(message);
}

/** File offset of the dynamic entry with `tag` in a buildDynElf image (PT_DYNAMIC is the last phdr). */
function dynEntryOffset(buf: Buffer, tag: bigint): number {
  const phnum = buf.readUInt16LE(56);
  const dynPh = 64 + (phnum - 1) * 56;
  expect(buf.readUInt32LE(dynPh)).toBe(2);
  const off = Number(buf.readBigUInt64LE(dynPh + 8));
  for (let p = off; ; p += 16) {
    const t = buf.readBigInt64LE(p);
    if (t === tag) return p;
    if (t === 0n) throw new Error(`tag ${tag} not found`);
  }
}

describe('isElf', () => {
  it('checks the magic only', () => {
    expect(isElf(readFileSync('/bin/ls'))).toBe(true);
    expect(isElf(Buffer.from('#!/bin/sh\n'))).toBe(false);
    expect(isElf(Buffer.from([0x7f, 0x45, 0x4c]))).toBe(false);
    expect(isElf(Buffer.alloc(0))).toBe(false);
  });
});

describe('readElfInfo on system binaries', () => {
  it('/bin/ls: dynamic executable linked against libc', () => {
    const info = readElfInfo(readFileSync('/bin/ls'));
    expect(info.type).toBe('dyn');
    expect(info.machine).toBe(EM_X86_64);
    expect(info.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
    expect(info.needed).toContain('libc.so.6');
    expect(info.soname).toBeUndefined();
  });

  it.skipIf(!existsSync(LIBC))('libc.so.6 has its soname', () => {
    const info = readElfInfo(readFileSync(LIBC));
    expect(info.soname).toBe('libc.so.6');
    expect(info.needed).toEqual(['ld-linux-x86-64.so.2']);
  });

  it('still works when the section headers are gone', () => {
    const buf = Buffer.from(readFileSync('/bin/ls'));
    const before = readElfInfo(buf);
    buf.writeBigUInt64LE(0n, 40); // e_shoff
    buf.writeUInt16LE(0, 60); // e_shnum
    buf.writeUInt16LE(0, 62); // e_shstrndx
    expect(readElfInfo(buf)).toEqual(before);
    expect(readSection(buf, '.dynstr')).toBeUndefined();
  });

  it.skipIf(!hasReadelf)('agrees with readelf -d on the ELF files in /usr/bin', () => {
    const files = readdirSync('/usr/bin').map((f) => join('/usr/bin', f)).sort();
    let checked = 0;
    for (const file of files) {
      let buf: Buffer;
      try {
        buf = readFileSync(file);
      } catch {
        continue;
      }
      if (!isElf(buf) || buf[4] !== 2) continue;
      const text = execFileSync('readelf', ['-dW', file], { encoding: 'utf8' });
      const needed = [...text.matchAll(/\(NEEDED\)\s+Shared library: \[(.*)\]/g)].map((m) => m[1]);
      expect(readElfInfo(buf).needed, file).toEqual(needed);
      if (++checked >= 20) break;
    }
    expect(checked).toBeGreaterThan(5);
  });
});

describe.skipIf(!hasGcc)('readElfInfo on programs built with gcc', () => {
  let dir = '';
  const build = (out: string, ...args: string[]): Buffer => {
    execFileSync('gcc', ['-o', join(dir, out), ...args], { cwd: dir, stdio: 'pipe' });
    return readFileSync(join(dir, out));
  };
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'elfreader-'));
    writeFileSync(join(dir, 'main.c'), 'int main(void) { return 0; }\n');
    writeFileSync(join(dir, 'foo.c'), 'int foo(void) { return 42; }\n');
    writeFileSync(join(dir, 'usefoo.c'), 'int foo(void);\nint main(void) { return foo(); }\n');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('static executable: no interpreter, no DT_NEEDED', () => {
    const info = readElfInfo(build('static', '-static', 'main.c'));
    expect(info).toEqual({ type: 'exec', machine: EM_X86_64, needed: [], runpath: [] });
  });

  it('-Wl,-rpath gives DT_RUNPATH (new dtags)', () => {
    const info = readElfInfo(build('dyn', 'main.c', '-Wl,-rpath,/opt/x'));
    expect(info.type).toBe('dyn');
    expect(info.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
    expect(info.needed).toEqual(['libc.so.6']);
    expect(info.runpath).toEqual(['/opt/x']);
  });

  it('--disable-new-dtags gives DT_RPATH, split on colons', () => {
    const info = readElfInfo(build('old', 'main.c', '-Wl,--disable-new-dtags,-rpath,/opt/a:$ORIGIN/../lib'));
    expect(info.runpath).toEqual(['/opt/a', '$ORIGIN/../lib']);
  });

  it('non-PIE executable is ET_EXEC with an interpreter', () => {
    const info = readElfInfo(build('nopie', '-no-pie', 'main.c'));
    expect(info.type).toBe('exec');
    expect(info.interpreter).toBe('/lib64/ld-linux-x86-64.so.2');
  });

  it('shared library soname and DT_NEEDED order', () => {
    const lib = readElfInfo(build('libfoo.so.1', '-shared', '-fPIC', 'foo.c', '-Wl,-soname,libfoo.so.1'));
    expect(lib.soname).toBe('libfoo.so.1');
    expect(lib.interpreter).toBeUndefined();
    const exe = readElfInfo(build('usefoo', 'usefoo.c', '-Wl,--no-as-needed', './libfoo.so.1', '-lm'));
    expect(exe.needed).toEqual(['libfoo.so.1', 'libm.so.6', 'libc.so.6']);
  });
});

describe('readElfInfo on synthetic images', () => {
  it('reads every field without section headers', () => {
    const buf = buildDynElf({ interp: '/lib/ld.so', needed: ['liba.so.1', 'libb.so.2'], runpath: '/x::/y', soname: 'libz.so.3' });
    expect(readElfInfo(buf)).toEqual({
      type: 'dyn', machine: EM_X86_64, interpreter: '/lib/ld.so',
      needed: ['liba.so.1', 'libb.so.2'], runpath: ['/x', '/y'], soname: 'libz.so.3',
    });
  });

  it('prefers DT_RUNPATH over DT_RPATH', () => {
    expect(readElfInfo(buildDynElf({ rpath: '/old', runpath: '/new' })).runpath).toEqual(['/new']);
    expect(readElfInfo(buildDynElf({ rpath: '/old' })).runpath).toEqual(['/old']);
  });

  it('handles a missing DT_STRSZ and addresses above 2^53', () => {
    const info = readElfInfo(buildDynElf({ type: 'exec', needed: ['libq.so'], noStrsz: true, base: 0xffffffff81000000n }));
    expect(info).toEqual({ type: 'exec', machine: EM_X86_64, needed: ['libq.so'], runpath: [] });
  });

  it('reads an ET_REL with no program headers', () => {
    expect(readElfInfo(buildModule(['name=x']))).toEqual({ type: 'rel', machine: EM_X86_64, needed: [], runpath: [] });
  });
});

describe('malformed input throws ElfFormatError', () => {
  const good = (): Buffer => buildDynElf({ interp: '/lib/ld.so', needed: ['liba.so.1'], soname: 's' });
  const mutate = (f: (b: Buffer) => void): Buffer => {
    const b = good();
    f(b);
    return b;
  };

  it.each([
    ['empty', () => Buffer.alloc(0), /truncated/],
    ['bad magic', () => mutate((b) => b.write('\x7fELG', 0, 'latin1')), /bad magic/],
    ['truncated ident', () => good().subarray(0, 10), /truncated ELF identification/],
    ['32-bit', () => mutate((b) => (b[4] = 1)), /32-bit/],
    ['bad class', () => mutate((b) => (b[4] = 7)), /invalid ELF class 7/],
    ['big-endian', () => mutate((b) => (b[5] = 2)), /big-endian/],
    ['bad version', () => mutate((b) => (b[6] = 0)), /version/],
    ['truncated header', () => good().subarray(0, 40), /truncated ELF header/],
    ['phdrs past the end', () => mutate((b) => b.writeBigUInt64LE(1000000n, 32)), /program header table/],
    ['bad e_phentsize', () => mutate((b) => b.writeUInt16LE(32, 54)), /e_phentsize/],
    ['huge e_phoff', () => mutate((b) => b.writeBigUInt64LE(0xffffffffffffffffn, 32)), /e_phoff.*too large/],
    ['truncated file', () => good().subarray(0, 200), /outside the 200-byte file/],
    ['interp not terminated', () => mutate((b) => b.writeBigUInt64LE(3n, 64 + 32)), /PT_INTERP.*NUL-terminated/],
    ['DT_STRTAB outside PT_LOAD', () => mutate((b) => b.writeBigUInt64LE(0x10n, dynEntryOffset(b, 5n) + 8)), /not inside any PT_LOAD/],
    ['DT_STRSZ past the end', () => mutate((b) => b.writeBigUInt64LE(1n << 40n, dynEntryOffset(b, 10n) + 8)), /DT_STRSZ/],
    ['DT_NEEDED offset past table', () => mutate((b) => b.writeBigUInt64LE(999n, dynEntryOffset(b, 1n) + 8)), /DT_NEEDED: string offset 999/],
    ['string cut by DT_STRSZ', () => mutate((b) => b.writeBigUInt64LE(4n, dynEntryOffset(b, 10n) + 8)), /DT_NEEDED.*NUL-terminated/],
    ['no DT_STRTAB', () => mutate((b) => b.writeBigInt64LE(0x7000n, dynEntryOffset(b, 5n))), /no DT_STRTAB/],
  ])('%s', (_name, make, message) => {
    expectElfError(() => readElfInfo(make()), message);
  });

  it('section table problems are reported by readSection', () => {
    const mod = buildModule(['name=x']);
    const shoffOf = (b: Buffer): bigint => b.readBigUInt64LE(40);
    const withShoff = Buffer.from(mod);
    withShoff.writeBigUInt64LE(BigInt(mod.length - 10), 40);
    expectElfError(() => readSection(withShoff, '.modinfo'), /section header/);
    const badIndex = Buffer.from(mod);
    badIndex.writeUInt16LE(77, 62);
    expectElfError(() => readSection(badIndex, '.modinfo'), /e_shstrndx 77 is out of range/);
    const badName = Buffer.from(mod);
    badName.writeUInt32LE(100000, Number(shoffOf(mod)) + 64); // sh_name of section 1
    expectElfError(() => readSection(badName, '.modinfo'), /section name: string offset 100000/);
    const badSize = Buffer.from(mod);
    badSize.writeBigUInt64LE(100000n, Number(shoffOf(mod)) + 2 * 64 + 32); // sh_size of .modinfo
    expectElfError(() => readModinfo(badSize), /section \.modinfo/);
    const hugeCount = Buffer.from(mod);
    hugeCount.writeUInt16LE(0, 60); // e_shnum 0: count comes from section 0's sh_size
    hugeCount.writeBigUInt64LE(1n << 50n, Number(shoffOf(mod)) + 32);
    expectElfError(() => readSection(hugeCount, '.modinfo'), /section header table/);
  });
});

describe('readSection and readModinfo on synthetic modules', () => {
  const mod = buildModule([
    'license=GPL',
    'depends=crc16,,mbcache',
    'depends=jbd2,crc16',
    'softdep=pre: crc32c sha256 post: zz',
    'softdep=pre: crc32c',
    'description=value with = signs',
    'no equals sign here',
    '__proto__=polluted',
    'name=fake',
  ]);

  it('finds sections by name', () => {
    expect(readSection(mod, '.text')).toEqual(Buffer.from([0xc3]));
    expect(readSection(mod, '.bss')).toEqual(Buffer.alloc(0));
    expect(readSection(mod, '.nope')).toBeUndefined();
    expect(readSection(mod, '')).toBeUndefined();
  });

  it('returns every raw value per key, in order', () => {
    const info = readModinfo(mod);
    expect(info['depends']).toEqual(['crc16,,mbcache', 'jbd2,crc16']);
    expect(info['description']).toEqual(['value with = signs']);
    expect(info['name']).toEqual(['fake']);
    expect(info['__proto__']).toEqual(['polluted']);
    expect(Object.keys(info)).toEqual(['license', 'depends', 'softdep', 'description', '__proto__', 'name']);
    expect(moduleDepends(info)).toEqual(['crc16', 'mbcache', 'jbd2']);
    expect(moduleSoftdeps(info)).toEqual({ pre: ['crc32c', 'sha256'], post: ['zz'] });
  });

  it('tolerates padding NULs and a last string without NUL', () => {
    const buf = buildRelElf([{ name: '.modinfo', data: Buffer.from('\0\0depends=\0\0\0name=last') }]);
    const info = readModinfo(buf);
    expect(info).toEqual({ depends: [''], name: ['last'] });
    expect(moduleDepends(info)).toEqual([]);
    expect(moduleSoftdeps(info)).toEqual({ pre: [], post: [] });
  });

  it('softdep tokens before pre:/post: are ignored', () => {
    expect(moduleSoftdeps({ softdep: ['junk post: a pre: b  c'] })).toEqual({ pre: ['b', 'c'], post: ['a'] });
  });

  it('throws ElfFormatError when there is no .modinfo', () => {
    expectElfError(() => readModinfo(buildRelElf([{ name: '.text', data: Buffer.alloc(4) }])), /no \.modinfo/);
    expectElfError(() => readModinfo(readFileSync('/bin/ls')), /no \.modinfo/);
  });
});

const MODULE_DIRS = ['/tmp/ex/k/lib/modules/6.1.0-56-amd64/kernel', ...(existsSync('/lib/modules') ? readdirSync('/lib/modules').map((v) => `/lib/modules/${v}/kernel`) : [])];
const realModule = (rel: string): string | undefined => MODULE_DIRS.map((d) => join(d, rel)).find((p) => existsSync(p));
const LIBCRC32C = realModule('lib/libcrc32c.ko');
const EXT4 = realModule('fs/ext4/ext4.ko');

describe('real kernel modules (skipped when none are on this machine)', () => {
  it.skipIf(LIBCRC32C === undefined)('libcrc32c.ko: softdep pre crc32c, no depends', () => {
    const info = readModinfo(readFileSync(LIBCRC32C ?? ''));
    expect(info['name']).toEqual(['libcrc32c']);
    expect(moduleDepends(info)).toEqual([]);
    expect(moduleSoftdeps(info)).toEqual({ pre: ['crc32c'], post: [] });
    expect(readElfInfo(readFileSync(LIBCRC32C ?? '')).type).toBe('rel');
  });

  it.skipIf(EXT4 === undefined)('ext4.ko: depends and softdep', () => {
    const info = readModinfo(readFileSync(EXT4 ?? ''));
    expect(moduleDepends(info)).toEqual(expect.arrayContaining(['jbd2', 'mbcache']));
    expect(moduleSoftdeps(info).pre).toContain('crypto-crc32c');
    expect(info['alias']).toEqual(expect.arrayContaining(['fs-ext4']));
  });
});

/** mulberry32: small seeded PRNG so every run mutates the same way. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Byte ranges worth mutating in a valid file: ELF header, phdrs, dynamic segment, shdrs, .shstrtab. */
function structuralRegions(buf: Buffer): [number, number][] {
  const regions: [number, number][] = [[0, 64]];
  const phoff = Number(buf.readBigUInt64LE(32));
  const phnum = buf.readUInt16LE(56);
  if (phnum > 0) regions.push([phoff, phoff + phnum * 56]);
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * 56;
    if (buf.readUInt32LE(p) === 2) {
      const off = Number(buf.readBigUInt64LE(p + 8));
      regions.push([off, off + Number(buf.readBigUInt64LE(p + 32))]);
    }
  }
  const shoff = Number(buf.readBigUInt64LE(40));
  const shnum = buf.readUInt16LE(60);
  if (shoff > 0) {
    regions.push([shoff, shoff + shnum * 64]);
    const str = shoff + buf.readUInt16LE(62) * 64;
    const off = Number(buf.readBigUInt64LE(str + 24));
    regions.push([off, off + Number(buf.readBigUInt64LE(str + 32))]);
  }
  return regions;
}

describe('fuzz: mutated and truncated ELF files', () => {
  it('only ever succeeds or throws ElfFormatError, quickly', () => {
    const corpus = [
      readFileSync('/bin/ls'),
      buildDynElf({ interp: '/lib/ld.so', needed: ['a.so', 'b.so'], runpath: '/r:/s', soname: 'z.so' }),
      buildModule(['depends=a,b', 'softdep=pre: c post: d', 'name=m']),
    ].map((b) => ({ buf: b, regions: structuralRegions(b) }));
    const interesting = [0n, 1n, 7n, 0x40n, 0xffffn, 0xffffffffn, 1n << 53n, 0xffffffffffffffffn, 0x8000000000000000n];
    const rand = prng(0x5eed);
    const int = (n: number): number => Math.floor(rand() * n);
    const failures: string[] = [];
    let slowest = 0;
    let succeeded = 0;
    const CASES = 2000;
    for (let c = 0; c < CASES; c++) {
      const { buf: orig, regions } = corpus[c % corpus.length] ?? { buf: Buffer.alloc(0), regions: [] };
      let buf = Buffer.from(orig);
      const ops: string[] = [];
      for (let m = 1 + int(3); m > 0; m--) {
        const [start, end] = regions[int(regions.length)] ?? [0, buf.length];
        const at = Math.min(start + int(Math.max(1, end - start)), buf.length);
        const op = int(4);
        if (op === 0) {
          const len = rand() < 0.5 ? int(buf.length + 1) : at;
          buf = buf.subarray(0, len);
          ops.push(`truncate(${len})`);
        } else if (op === 1 && at < buf.length) {
          buf[at] = int(256);
          ops.push(`byte@${at}`);
        } else if (at - (at % 8) + 8 <= buf.length) {
          const v = interesting[int(interesting.length)] ?? 0n;
          const p = op === 3 ? at - (at % 8) : at - (at % 2);
          if (op === 3) buf.writeBigUInt64LE(v, p);
          else if (p + 2 <= buf.length) buf.writeUInt16LE(Number(v & 0xffffn), p);
          ops.push(`${op === 3 ? 'u64' : 'u16'}@${p}=${v}`);
        }
      }
      const t0 = performance.now();
      for (const fn of [
        () => readElfInfo(buf),
        () => readSection(buf, '.modinfo'),
        () => readSection(buf, '.dynstr'),
        () => readModinfo(buf),
      ]) {
        try {
          fn();
          succeeded++;
        } catch (err) {
          if (!(err instanceof ElfFormatError)) failures.push(`case ${c} [${ops.join(' ')}]: ${String(err)}`);
        }
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    expect(failures).toEqual([]);
    expect(slowest).toBeLessThan(100);
    expect(succeeded).toBeGreaterThan(CASES / 4); // the mutations are not all trivially fatal
  });
});
