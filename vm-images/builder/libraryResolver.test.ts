// Owns: tests of libraryResolver.ts on a fake library pool laid out in a temp dir from copies of
// this machine's real libc, ld.so and libz (fixture bytes only), with real dynamic binaries.

import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDynElf } from './elf.testkit.ts';
import { readElfInfo } from './elfReader.ts';
import { MissingLibraryError, resolveLibraries, type LibraryPool } from './libraryResolver.ts';
import { addFromPackage, listPackageTree, StagingTree } from './stagingTree.ts';

const HOST_LIBDIR = '/lib/x86_64-linux-gnu';
const HOST_LIBC = `${HOST_LIBDIR}/libc.so.6`;
const HOST_LDSO = '/lib64/ld-linux-x86-64.so.2';
const HOST_LIBZ = `${HOST_LIBDIR}/libz.so.1`;
const GZIP = '/usr/bin/gzip';
/** Programs that need exactly libz.so.1 and libc.so.6 (checked below with readelf when present). */
const LIBZ_USERS = ['/usr/sbin/mkfs.cramfs', '/usr/sbin/fsck.cramfs', '/usr/bin/png-fix-itxt'];

const neededOf = (bin: string): string[] => {
  const r = spawnSync('readelf', ['-d', bin], { encoding: 'utf8' });
  if (r.status !== 0) return [];
  return [...r.stdout.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]!).sort();
};
const hasBasics = [HOST_LIBC, HOST_LDSO, GZIP].every(existsSync) && spawnSync('readelf', ['--version']).status === 0;
const hasLibz = hasBasics && existsSync(HOST_LIBZ);
const LIBZ_USER = hasLibz ? LIBZ_USERS.find((b) => existsSync(b) && neededOf(b).join(' ') === 'libc.so.6 libz.so.1') : undefined;

const INTERP = '/lib64/ld-linux-x86-64.so.2';
const LDSO_FILE = `/lib/x86_64-linux-gnu/${basename(hasBasics ? realpathSync(HOST_LDSO) : 'ld-linux-x86-64.so.2')}`;
const LIBZ_FILE = `/lib/x86_64-linux-gnu/${hasLibz ? basename(realpathSync(HOST_LIBZ)) : 'libz.so.1.x'}`;

describe.skipIf(!hasBasics)('resolveLibraries with a pool built from copies of real libraries', () => {
  let tmp: string;
  let libc6: LibraryPool['packages'][number];
  let zlib: LibraryPool['packages'][number] | undefined;
  let binPkg: string;

  const pkg = (name: string, root: string): LibraryPool['packages'][number] => ({ name, root, listing: listPackageTree(root) });

  beforeAll(() => {
    tmp = mkdtempSync(join(tmpdir(), 'berth-libs-'));
    // libc6: libc, the dynamic loader (a file, as in Debian), /lib64's symlink to it, and libraries nobody needs.
    const c = join(tmp, 'libc6');
    mkdirSync(join(c, 'lib/x86_64-linux-gnu'), { recursive: true });
    mkdirSync(join(c, 'lib64'));
    copyFileSync(HOST_LIBC, join(c, 'lib/x86_64-linux-gnu/libc.so.6'));
    copyFileSync(realpathSync(HOST_LDSO), join(c, LDSO_FILE));
    symlinkSync(LDSO_FILE, join(c, INTERP));
    copyFileSync(HOST_LIBC, join(c, 'lib/x86_64-linux-gnu/libunused.so.1'));
    writeFileSync(join(c, 'lib/x86_64-linux-gnu/README'), 'not an ELF file');
    libc6 = pkg('libc6', c);
    if (hasLibz) {
      const z = join(tmp, 'zlib1g');
      mkdirSync(join(z, 'lib/x86_64-linux-gnu'), { recursive: true });
      copyFileSync(realpathSync(HOST_LIBZ), join(z, LIBZ_FILE));
      symlinkSync(readlinkSync(HOST_LIBZ), join(z, 'lib/x86_64-linux-gnu/libz.so.1'));
      zlib = pkg('zlib1g', z);
    }
    // The package the program comes from.
    binPkg = join(tmp, 'tools');
    mkdirSync(join(binPkg, 'usr/bin'), { recursive: true });
    copyFileSync(GZIP, join(binPkg, 'usr/bin/gzip'));
    if (LIBZ_USER) copyFileSync(LIBZ_USER, join(binPkg, 'usr/bin/zuser'));
    writeFileSync(join(binPkg, 'usr/bin/script'), '#!/bin/sh\necho not ELF\n');
  });
  afterAll(() => rmSync(tmp, { recursive: true, force: true }));

  const treeWith = (glob: string): StagingTree => {
    const t = new StagingTree();
    expect(addFromPackage(t, binPkg, listPackageTree(binPkg), glob, 'package tools')).toBeGreaterThan(0);
    return t;
  };

  it('fixture sanity: gzip needs libc and the loader, libc needs the loader', () => {
    expect(neededOf(GZIP)).toEqual(['libc.so.6']);
    expect(neededOf(HOST_LIBC)).toEqual(['ld-linux-x86-64.so.2']);
    expect(readElfInfo(readFileSync(GZIP)).interpreter).toBe(INTERP);
  });

  it('adds the interpreter (with its symlink) and libc for gzip, and nothing else', () => {
    const t = treeWith('/usr/bin/gzip');
    const before = new Set(t.entries.keys());
    const added = resolveLibraries(t, { packages: [libc6] });
    expect(added).toEqual([LDSO_FILE, '/lib/x86_64-linux-gnu/libc.so.6'].sort());
    const newPaths = [...t.entries.keys()].filter((p) => !before.has(p)).sort();
    expect(newPaths).toEqual(['/lib', '/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu/libc.so.6', LDSO_FILE, '/lib64', INTERP].sort());
    expect(t.entries.get(INTERP)).toEqual({ kind: 'symlink', target: LDSO_FILE, origin: 'library package libc6' });
    expect(t.resolve(INTERP)).toBe(LDSO_FILE);
    expect(t.entries.get('/lib/x86_64-linux-gnu/libc.so.6')).toMatchObject({
      kind: 'file',
      source: join(libc6.root, 'lib/x86_64-linux-gnu/libc.so.6'),
      origin: 'library package libc6',
    });
    expect(t.has('/lib/x86_64-linux-gnu/libunused.so.1')).toBe(false);
  });

  it('is idempotent: a second run adds nothing', () => {
    const t = treeWith('/usr/bin/gzip');
    resolveLibraries(t, { packages: [libc6] });
    const size = t.entries.size;
    expect(resolveLibraries(t, { packages: [libc6] })).toEqual([]);
    expect(t.entries.size).toBe(size);
  });

  it('skips files that are not ELF', () => {
    const t = treeWith('/usr/bin/script');
    t.add('/etc/generated', { kind: 'file', mode: 0o644, data: Buffer.from('\x7fELX not quite'), origin: 'generated' });
    expect(resolveLibraries(t, { packages: [] })).toEqual([]);
  });

  it.skipIf(!LIBZ_USER)('adds libz through its soname symlink for a program that needs it, plus libc and the loader', () => {
    const t = treeWith('/usr/bin/zuser');
    const added = resolveLibraries(t, { packages: [libc6, zlib!] });
    expect(added).toEqual([LDSO_FILE, '/lib/x86_64-linux-gnu/libc.so.6', LIBZ_FILE].sort());
    expect(t.entries.get('/lib/x86_64-linux-gnu/libz.so.1')).toEqual({ kind: 'symlink', target: readlinkSync(HOST_LIBZ), origin: 'library package zlib1g' });
    expect(t.entries.get(LIBZ_FILE)).toMatchObject({ kind: 'file', origin: 'library package zlib1g' });
    expect(t.resolve('/lib/x86_64-linux-gnu/libz.so.1')).toBe(LIBZ_FILE);
    expect(t.has('/lib/x86_64-linux-gnu/libunused.so.1')).toBe(false);
  });

  it.skipIf(!LIBZ_USER)('throws MissingLibraryError naming the binary, the soname and the origin when the pool lacks libz', () => {
    const t = treeWith('/usr/bin/zuser');
    let caught: unknown;
    try {
      resolveLibraries(t, { packages: [libc6] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MissingLibraryError);
    const err = caught as MissingLibraryError;
    expect(err.needer).toBe('/usr/bin/zuser');
    expect(err.soname).toBe('libz.so.1');
    expect(err.origin).toBe('package tools');
    expect(err.message).toMatch(/^\/usr\/bin\/zuser \(from package tools\) needs libz\.so\.1, which no package under `libraries:`/);
  });

  it('throws MissingLibraryError for a missing interpreter and for a library needed by a library', () => {
    const t = treeWith('/usr/bin/gzip');
    expect(() => resolveLibraries(t, { packages: [] })).toThrow(MissingLibraryError);
    try {
      resolveLibraries(treeWith('/usr/bin/gzip'), { packages: [] });
    } catch (e) {
      expect((e as MissingLibraryError).soname).toBe(INTERP);
    }
    // A library from the pool that needs a library no package ships: blamed on the library, from its package.
    const half = join(tmp, 'half');
    mkdirSync(join(half, 'usr/lib/x86_64-linux-gnu'), { recursive: true });
    writeFileSync(join(half, 'usr/lib/x86_64-linux-gnu/libA.so.1'), buildDynElf({ needed: ['libB.so.2'], soname: 'libA.so.1' }));
    const t2 = new StagingTree();
    t2.add('/bin', { kind: 'dir', mode: 0o755, origin: 'spec' });
    t2.add('/bin/tool', { kind: 'file', mode: 0o755, data: buildDynElf({ needed: ['libA.so.1'] }), origin: 'files[1]' });
    let caught: unknown;
    try {
      resolveLibraries(t2, { packages: [pkg('liba1', half)] });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(MissingLibraryError);
    expect((caught as MissingLibraryError).needer).toBe('/usr/lib/x86_64-linux-gnu/libA.so.1');
    expect((caught as MissingLibraryError).soname).toBe('libB.so.2');
    expect((caught as MissingLibraryError).origin).toBe('library package liba1');
  });

  it('uses a library already in the tree rather than the pool', () => {
    const t = treeWith('/usr/bin/gzip');
    t.add('/usr/lib', { kind: 'dir', mode: 0o755, origin: 'spec' });
    t.add('/usr/lib/x86_64-linux-gnu', { kind: 'dir', mode: 0o755, origin: 'spec' });
    t.add('/usr/lib/x86_64-linux-gnu/libc.so.6', { kind: 'file', mode: 0o755, source: HOST_LIBC, size: 1, origin: 'package own-libc' });
    const added = resolveLibraries(t, { packages: [libc6] });
    expect(added).toEqual([LDSO_FILE]);
    expect(t.has('/lib/x86_64-linux-gnu/libc.so.6')).toBe(false);
  });

  it('follows DT_RUNPATH with $ORIGIN', () => {
    const t = new StagingTree();
    t.add('/opt', { kind: 'dir', mode: 0o755, origin: 'spec' });
    t.add('/opt/app', { kind: 'dir', mode: 0o755, origin: 'spec' });
    t.add('/opt/app/bin', { kind: 'file', mode: 0o755, data: buildDynElf({ needed: ['libpriv.so'], runpath: '$ORIGIN/lib' }), origin: 'files[2]' });
    const priv = join(tmp, 'priv');
    mkdirSync(join(priv, 'opt/app/lib'), { recursive: true });
    writeFileSync(join(priv, 'opt/app/lib/libpriv.so'), buildDynElf({}));
    const added = resolveLibraries(t, { packages: [pkg('priv', priv)] });
    expect(added).toEqual(['/opt/app/lib/libpriv.so']);
    expect(dirname(added[0]!)).toBe('/opt/app/lib');
  });
});
