// Owns: tests of stagingTree.ts: globToRegExp, StagingTree.add conflicts and resolve (relative,
// absolute and looping symlinks), and listPackageTree + addFromPackage on a laid-out temp dir.

import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addFromPackage, addParents, globToRegExp, listPackageTree, StagingTree, type TreeEntry } from './stagingTree.ts';

describe('globToRegExp', () => {
  it('lets * match within one path segment only', () => {
    const re = globToRegExp('/usr/lib/x86_64-linux-gnu/xtables/*.so');
    expect(re.test('/usr/lib/x86_64-linux-gnu/xtables/libxt_tcp.so')).toBe(true);
    expect(re.test('/usr/lib/x86_64-linux-gnu/xtables/.so')).toBe(true);
    expect(re.test('/usr/lib/x86_64-linux-gnu/xtables/sub/libxt_tcp.so')).toBe(false);
    expect(re.test('/usr/lib/x86_64-linux-gnu/xtables/libxt_tcp.so.1')).toBe(false);
    expect(globToRegExp('/a/*').test('/a/b/c')).toBe(false);
    expect(globToRegExp('/*/b').test('/x/y/b')).toBe(false);
  });

  it('lets ? match exactly one character that is not /', () => {
    const re = globToRegExp('/lib/ld-?.so');
    expect(re.test('/lib/ld-2.so')).toBe(true);
    expect(re.test('/lib/ld-22.so')).toBe(false);
    expect(re.test('/lib/ld-.so')).toBe(false);
    expect(globToRegExp('/a?b').test('/a/b')).toBe(false);
  });

  it('treats regex metacharacters as literal (Debian names like libstdc++)', () => {
    expect(globToRegExp('/usr/lib/libstdc++.so.6').test('/usr/lib/libstdc++.so.6')).toBe(true);
    expect(globToRegExp('/usr/lib/libstdc++.so.6').test('/usr/lib/libstdcc.so.6')).toBe(false);
    expect(globToRegExp('/usr/lib/libstdc++.so.6').test('/usr/lib/libstdcccccXsoX6')).toBe(false);
    expect(globToRegExp('/a.b').test('/aXb')).toBe(false);
    expect(globToRegExp('/f(1)').test('/f(1)')).toBe(true);
    expect(globToRegExp('/f(1)').test('/f1')).toBe(false);
    expect(globToRegExp('/x[ab]').test('/x[ab]')).toBe(true);
    expect(globToRegExp('/x[ab]').test('/xa')).toBe(false);
    expect(globToRegExp('/p|q').test('/p')).toBe(false);
    expect(globToRegExp('/$HOME^{2}\\n').test('/$HOME^{2}\\n')).toBe(true);
    expect(globToRegExp('/usr/share/ca-certificates/mozilla/*.crt').test('/usr/share/ca-certificates/mozilla/ISRG_Root_X1.crt')).toBe(true);
  });

  it('anchors the whole path', () => {
    expect(globToRegExp('/bin/busybox').test('/usr/bin/busybox')).toBe(false);
    expect(globToRegExp('/bin/busybox').test('/bin/busybox.old')).toBe(false);
  });
});

describe('StagingTree.add', () => {
  const file = (source: string, origin: string): TreeEntry => ({ kind: 'file', mode: 0o644, source, size: 1, origin });

  it('rejects paths that are not normalised and absolute', () => {
    const t = new StagingTree();
    for (const bad of ['relative/x', '/a/../b', '/a//b', '/a/', '/a/./b']) {
      expect(() => t.add(bad, { kind: 'dir', mode: 0o755, origin: 'o' })).toThrow(/not a normalised absolute path/);
    }
    expect(t.entries.size).toBe(0);
  });

  it('throws naming both origins when one path comes from two places', () => {
    const t = new StagingTree();
    t.add('/usr/bin/x', file('/pkgA/usr/bin/x', 'package a'));
    expect(() => t.add('/usr/bin/x', file('/pkgB/usr/bin/x', 'package b'))).toThrow('/usr/bin/x comes from both package a and package b; keep one');
    expect(() => t.add('/usr/bin/x', { kind: 'symlink', target: 'y', origin: 'files[3]' })).toThrow(/package a and files\[3\]/);
    expect(() => t.add('/usr/bin/x', { kind: 'dir', mode: 0o755, origin: 'files[4]' })).toThrow(/package a and files\[4\]/);
    expect(() => t.add('/usr/bin/x', { kind: 'file', mode: 0o644, data: Buffer.from('x'), origin: 'generated' })).toThrow(/package a and generated/);
    expect(t.entries.get('/usr/bin/x')).toMatchObject({ source: '/pkgA/usr/bin/x', origin: 'package a' });
  });

  it('throws for two different symlinks and for a dir over a file', () => {
    const t = new StagingTree();
    t.add('/bin/sh', { kind: 'symlink', target: 'busybox', origin: 'files[0]' });
    expect(() => t.add('/bin/sh', { kind: 'symlink', target: 'dash', origin: 'package dash' })).toThrow(/files\[0\] and package dash/);
    t.add('/etc', { kind: 'dir', mode: 0o755, origin: 'parents' });
    expect(() => t.add('/etc', { kind: 'symlink', target: '/x', origin: 'files[9]' })).toThrow(/parents and files\[9\]/);
  });

  it('accepts the same symlink twice, the same source file twice and a directory twice', () => {
    const t = new StagingTree();
    t.add('/bin/sh', { kind: 'symlink', target: 'busybox', origin: 'files[0]' });
    t.add('/bin/sh', { kind: 'symlink', target: 'busybox', origin: 'files[7]' });
    t.add('/usr/bin/x', file('/pkg/usr/bin/x', 'package a'));
    t.add('/usr/bin/x', file('/pkg/usr/bin/x', 'library package a'));
    t.add('/usr', { kind: 'dir', mode: 0o755, origin: 'one' });
    t.add('/usr', { kind: 'dir', mode: 0o755, origin: 'two' });
    expect(t.entries.size).toBe(3);
    expect(t.entries.get('/bin/sh')).toEqual({ kind: 'symlink', target: 'busybox', origin: 'files[0]' });
    expect(t.has('/usr')).toBe(true);
    expect(t.has('/usr/bin')).toBe(false);
  });
});

describe('StagingTree.resolve', () => {
  const tree = (): StagingTree => {
    const t = new StagingTree();
    const dir = (p: string): void => t.add(p, { kind: 'dir', mode: 0o755, origin: 't' });
    const link = (p: string, target: string): void => t.add(p, { kind: 'symlink', target, origin: 't' });
    dir('/bin');
    dir('/sbin');
    dir('/usr');
    dir('/usr/lib');
    dir('/usr/lib/x86_64-linux-gnu');
    dir('/lib64');
    t.add('/bin/busybox', { kind: 'file', mode: 0o755, data: Buffer.from('bb'), origin: 't' });
    t.add('/usr/lib/x86_64-linux-gnu/libc.so.6', { kind: 'file', mode: 0o755, data: Buffer.from('c'), origin: 't' });
    link('/bin/sh', 'busybox');
    link('/sbin/init', '../bin/busybox');
    link('/sbin/abs', '/bin/sh');
    link('/lib', 'usr/lib');
    link('/lib64/ld.so', '/lib/x86_64-linux-gnu/libc.so.6');
    link('/loop1', 'loop2');
    link('/loop2', '/loop1');
    link('/self', 'self');
    link('/dangling', '/nowhere');
    return t;
  };

  it('returns a plain path as it is, and / for /', () => {
    const t = tree();
    expect(t.resolve('/bin/busybox')).toBe('/bin/busybox');
    expect(t.resolve('/usr/lib')).toBe('/usr/lib');
    expect(t.resolve('/')).toBe('/');
  });

  it('follows relative symlinks from their own directory', () => {
    const t = tree();
    expect(t.resolve('/bin/sh')).toBe('/bin/busybox');
    expect(t.resolve('/sbin/init')).toBe('/bin/busybox');
  });

  it('follows absolute symlinks and chains of symlinks', () => {
    const t = tree();
    expect(t.resolve('/sbin/abs')).toBe('/bin/busybox');
    expect(t.resolve('/lib64/ld.so')).toBe('/usr/lib/x86_64-linux-gnu/libc.so.6');
  });

  it('follows a symlinked directory in the middle of a path', () => {
    const t = tree();
    expect(t.resolve('/lib/x86_64-linux-gnu/libc.so.6')).toBe('/usr/lib/x86_64-linux-gnu/libc.so.6');
    expect(t.resolve('/lib/x86_64-linux-gnu/missing.so')).toBeUndefined();
  });

  it('answers undefined for missing paths, dangling links and loops', () => {
    const t = tree();
    expect(t.resolve('/nope')).toBeUndefined();
    expect(t.resolve('/bin/nope')).toBeUndefined();
    expect(t.resolve('/dangling')).toBeUndefined();
    expect(t.resolve('/loop1')).toBeUndefined();
    expect(t.resolve('/self')).toBeUndefined();
    expect(t.resolve('/loop2/x')).toBeUndefined();
  });

  it('does not look at the host', () => {
    const t = new StagingTree();
    expect(t.resolve('/etc/passwd')).toBeUndefined();
    expect(t.resolve('/bin/sh')).toBeUndefined();
  });
});

describe('addParents', () => {
  it('adds each missing parent directory, mode 0755, and nothing for /', () => {
    const t = new StagingTree();
    t.add('/usr', { kind: 'dir', mode: 0o700, origin: 'spec' });
    addParents(t, '/usr/share/doc/x/README', 'pkg');
    expect([...t.entries.keys()]).toEqual(['/usr', '/usr/share', '/usr/share/doc', '/usr/share/doc/x']);
    expect(t.entries.get('/usr')).toEqual({ kind: 'dir', mode: 0o700, origin: 'spec' });
    expect(t.entries.get('/usr/share/doc')).toEqual({ kind: 'dir', mode: 0o755, origin: 'pkg' });
    addParents(t, '/top', 'pkg');
    expect(t.entries.size).toBe(4);
  });
});

describe('listPackageTree and addFromPackage', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-stage-'));
    mkdirSync(join(root, 'usr/sbin'), { recursive: true });
    mkdirSync(join(root, 'usr/lib/xtables'), { recursive: true });
    mkdirSync(join(root, 'etc'), { recursive: true });
    mkdirSync(join(root, '.berth-meta'));
    writeFileSync(join(root, '.berth-meta/control'), 'Package: x\n');
    writeFileSync(join(root, 'usr/sbin/tool'), '#!/bin/sh\necho hi\n');
    chmodSync(join(root, 'usr/sbin/tool'), 0o755);
    writeFileSync(join(root, 'usr/lib/xtables/libxt_tcp.so'), Buffer.alloc(1234));
    writeFileSync(join(root, 'usr/lib/xtables/libxt_udp.so'), Buffer.alloc(10));
    writeFileSync(join(root, 'usr/lib/xtables/README'), 'x');
    writeFileSync(join(root, 'etc/tool.conf'), 'a=1\n');
    chmodSync(join(root, 'etc/tool.conf'), 0o640);
    chmodSync(join(root, 'etc'), 0o750);
    // Explicit modes, so the listing does not depend on the umask.
    for (const d of ['usr', 'usr/sbin', 'usr/lib', 'usr/lib/xtables']) chmodSync(join(root, d), 0o755);
    for (const f of ['usr/lib/xtables/libxt_tcp.so', 'usr/lib/xtables/libxt_udp.so', 'usr/lib/xtables/README']) chmodSync(join(root, f), 0o644);
    symlinkSync('tool', join(root, 'usr/sbin/tool-link'));
    symlinkSync('/usr/sbin/tool', join(root, 'usr/sbin/tool-abs'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('lists files, symlinks and directories with modes and sizes, skipping top-level .berth*', () => {
    const listing = listPackageTree(root);
    expect(Object.fromEntries(listing)).toEqual({
      '/etc': { kind: 'dir', mode: 0o750, size: 0 },
      '/etc/tool.conf': { kind: 'file', mode: 0o640, size: 4 },
      '/usr': { kind: 'dir', mode: 0o755, size: 0 },
      '/usr/lib': { kind: 'dir', mode: 0o755, size: 0 },
      '/usr/lib/xtables': { kind: 'dir', mode: 0o755, size: 0 },
      '/usr/lib/xtables/README': { kind: 'file', mode: 0o644, size: 1 },
      '/usr/lib/xtables/libxt_tcp.so': { kind: 'file', mode: 0o644, size: 1234 },
      '/usr/lib/xtables/libxt_udp.so': { kind: 'file', mode: 0o644, size: 10 },
      '/usr/sbin': { kind: 'dir', mode: 0o755, size: 0 },
      '/usr/sbin/tool': { kind: 'file', mode: 0o755, size: 18 },
      '/usr/sbin/tool-abs': { kind: 'symlink', mode: 0o777, size: 0, target: '/usr/sbin/tool' },
      '/usr/sbin/tool-link': { kind: 'symlink', mode: 0o777, size: 0, target: 'tool' },
    });
  });

  it('copies the matching files with their modes and sources, and adds their parents', () => {
    const listing = listPackageTree(root);
    const t = new StagingTree();
    expect(addFromPackage(t, root, listing, '/usr/lib/xtables/*.so', 'package iptables')).toBe(2);
    expect(addFromPackage(t, root, listing, '/usr/sbin/tool', 'package tool')).toBe(1);
    expect(addFromPackage(t, root, listing, '/etc/tool.conf', 'package tool')).toBe(1);
    expect(Object.fromEntries(t.entries)).toEqual({
      '/usr': { kind: 'dir', mode: 0o755, origin: 'package iptables' },
      '/usr/lib': { kind: 'dir', mode: 0o755, origin: 'package iptables' },
      '/usr/lib/xtables': { kind: 'dir', mode: 0o755, origin: 'package iptables' },
      '/usr/lib/xtables/libxt_tcp.so': { kind: 'file', mode: 0o644, source: join(root, 'usr/lib/xtables/libxt_tcp.so'), size: 1234, origin: 'package iptables' },
      '/usr/lib/xtables/libxt_udp.so': { kind: 'file', mode: 0o644, source: join(root, 'usr/lib/xtables/libxt_udp.so'), size: 10, origin: 'package iptables' },
      '/usr/sbin': { kind: 'dir', mode: 0o755, origin: 'package tool' },
      '/usr/sbin/tool': { kind: 'file', mode: 0o755, source: join(root, 'usr/sbin/tool'), size: 18, origin: 'package tool' },
      '/etc': { kind: 'dir', mode: 0o755, origin: 'package tool' },
      '/etc/tool.conf': { kind: 'file', mode: 0o640, source: join(root, 'etc/tool.conf'), size: 4, origin: 'package tool' },
    });
  });

  it('copies symlinks as symlinks, and never directories themselves', () => {
    const listing = listPackageTree(root);
    const t = new StagingTree();
    expect(addFromPackage(t, root, listing, '/usr/sbin/tool-*', 'package tool')).toBe(2);
    expect(t.entries.get('/usr/sbin/tool-link')).toEqual({ kind: 'symlink', target: 'tool', origin: 'package tool' });
    expect(t.entries.get('/usr/sbin/tool-abs')).toEqual({ kind: 'symlink', target: '/usr/sbin/tool', origin: 'package tool' });
    expect(addFromPackage(t, root, listing, '/usr/lib/*', 'package x')).toBe(0);
    expect(t.has('/usr/lib')).toBe(false);
    expect(addFromPackage(t, root, listing, '/usr/*/tool', 'package tool')).toBe(1);
    expect(t.resolve('/usr/sbin/tool-link')).toBe('/usr/sbin/tool');
  });

  it('answers 0 for a glob that matches nothing, and does not reach into .berth*', () => {
    const listing = listPackageTree(root);
    const t = new StagingTree();
    expect(addFromPackage(t, root, listing, '/usr/bin/*', 'p')).toBe(0);
    expect(addFromPackage(t, root, listing, '/.berth-meta/control', 'p')).toBe(0);
    expect(t.entries.size).toBe(0);
  });

  it('reports a file two packages both provide', () => {
    const listing = listPackageTree(root);
    const t = new StagingTree();
    addFromPackage(t, root, listing, '/etc/tool.conf', 'package tool');
    const other = mkdtempSync(join(tmpdir(), 'berth-stage2-'));
    try {
      mkdirSync(join(other, 'etc'));
      writeFileSync(join(other, 'etc/tool.conf'), 'b=2\n');
      expect(() => addFromPackage(t, other, listPackageTree(other), '/etc/*.conf', 'package other')).toThrow(
        '/etc/tool.conf comes from both package tool and package other; keep one',
      );
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});
