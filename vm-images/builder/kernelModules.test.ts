// Owns: tests of kernelModules.ts: load order from a fake index and fake depends, errors for
// unknown modules and cycles, and indexing of a laid-out linux-image tree with synthetic .ko files.

import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildModule } from './elf.testkit.ts';
import { indexKernelPackage, modinfoDepends, normaliseModuleName, resolveModuleOrder, UnknownModuleError } from './kernelModules.ts';

const KVER = '6.1.0-99-amd64';

/** A fake index: every name maps to kernel/<name>.ko; depends are given per name. */
function fake(deps: Record<string, string[]>, builtin: string[] = []) {
  const byName = new Map(Object.keys(deps).map((n) => [n, `kernel/${n}.ko`]));
  const calls: string[] = [];
  const readDepends = (rel: string): string[] => {
    calls.push(rel);
    const name = /^kernel\/(.+)\.ko$/.exec(rel)![1]!;
    return deps[name]!;
  };
  return { index: { kernelVersion: KVER, byName, builtin: new Set(builtin) }, readDepends, calls };
}

const names = (load: string[]): string[] => load.map((rel) => /^kernel\/(.+)\.ko$/.exec(rel)![1]!);

describe('resolveModuleOrder', () => {
  it('puts dependencies before their dependents and keeps the listed order otherwise', () => {
    const f = fake({ ext4: ['jbd2', 'mbcache'], jbd2: [], mbcache: [], veth: [], virtio_blk: ['virtio_ring'], virtio_ring: [] });
    const { load, builtin } = resolveModuleOrder(['veth', 'ext4', 'virtio_blk'], f.index, f.readDepends);
    expect(names(load)).toEqual(['veth', 'jbd2', 'mbcache', 'ext4', 'virtio_ring', 'virtio_blk']);
    expect(builtin).toEqual([]);
  });

  it('orders a deep chain innermost first', () => {
    const f = fake({ a: ['b'], b: ['c'], c: ['d'], d: [] });
    expect(names(resolveModuleOrder(['a'], f.index, f.readDepends).load)).toEqual(['d', 'c', 'b', 'a']);
  });

  it('lists a module needed twice once, at its first place, and reads its depends once', () => {
    const f = fake({ nf_nat: ['nf_conntrack'], xt_nat: ['nf_nat', 'nf_conntrack'], nf_conntrack: ['libcrc32c'], libcrc32c: [] });
    const { load } = resolveModuleOrder(['nf_conntrack', 'xt_nat', 'nf_nat', 'nf_conntrack'], f.index, f.readDepends);
    expect(names(load)).toEqual(['libcrc32c', 'nf_conntrack', 'nf_nat', 'xt_nat']);
    expect(f.calls.filter((c) => c === 'kernel/nf_conntrack.ko')).toHaveLength(1);
  });

  it('reports built-ins (listed or depended on) and does not load them', () => {
    const f = fake({ bridge: ['stp', 'llc'], br_netfilter: ['bridge'] }, ['stp', 'llc', 'button']);
    const { load, builtin } = resolveModuleOrder(['button', 'br_netfilter', 'button'], f.index, f.readDepends);
    expect(names(load)).toEqual(['bridge', 'br_netfilter']);
    expect(builtin).toEqual(['button', 'stp', 'llc']);
  });

  it('prefers the .ko file when a name is both a file and built in', () => {
    const f = fake({ evdev: [] }, ['evdev']);
    const { load, builtin } = resolveModuleOrder(['evdev'], f.index, f.readDepends);
    expect(names(load)).toEqual(['evdev']);
    expect(builtin).toEqual([]);
  });

  it('throws UnknownModuleError with the line lineOf gives for the listed module', () => {
    const f = fake({ virtio_pci: [], ext4: [] });
    const lineOf = (i: number): number => 40 + i;
    let caught: unknown;
    try {
      resolveModuleOrder(['virtio_pci', 'ext4', 'no_such_mod'], f.index, f.readDepends, lineOf);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnknownModuleError);
    const err = caught as UnknownModuleError;
    expect(err.module).toBe('no_such_mod');
    expect(err.line).toBe(42);
    expect(err.message).toContain('"no_such_mod"');
    expect(err.message).toContain(KVER);
  });

  it('blames the listed module\'s line when one of its dependencies is unknown', () => {
    const f = fake({ a: [], b: ['ghost'] });
    let caught: unknown;
    try {
      resolveModuleOrder(['a', 'b'], f.index, f.readDepends, (i) => [10, 11][i]);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(UnknownModuleError);
    expect((caught as UnknownModuleError).module).toBe('ghost');
    expect((caught as UnknownModuleError).line).toBe(11);
  });

  it('has no line without lineOf', () => {
    const f = fake({});
    expect(() => resolveModuleOrder(['x'], f.index, f.readDepends)).toThrow(UnknownModuleError);
    try {
      resolveModuleOrder(['x'], f.index, f.readDepends);
    } catch (e) {
      expect((e as UnknownModuleError).line).toBeUndefined();
    }
  });

  it('throws on a dependency cycle naming the chain', () => {
    const f = fake({ top: ['a'], a: ['b'], b: ['c'], c: ['a'] });
    expect(() => resolveModuleOrder(['top'], f.index, f.readDepends)).toThrow('kernel modules depend on each other in a cycle: top → a → b → c → a');
  });

  it('throws on a module depending on itself', () => {
    const f = fake({ selfish: ['selfish'] });
    expect(() => resolveModuleOrder(['selfish'], f.index, f.readDepends)).toThrow(/cycle: selfish → selfish$/);
  });

  it('treats dashes and underscores alike, in the list, in depends and for built-ins', () => {
    const f = fake({ nf_conntrack: ['nf_defrag_ipv4'], nf_defrag_ipv4: [], xt_conntrack: ['nf-conntrack'] }, ['crc32c_generic']);
    const { load, builtin } = resolveModuleOrder(['xt-conntrack', 'nf_conntrack', 'crc32c-generic'], f.index, f.readDepends);
    expect(names(load)).toEqual(['nf_defrag_ipv4', 'nf_conntrack', 'xt_conntrack']);
    expect(builtin).toEqual(['crc32c_generic']);
    expect(normaliseModuleName('a-b-c_d')).toBe('a_b_c_d');
  });
});

describe('indexKernelPackage', () => {
  const dirs: string[] = [];
  afterAll(() => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  const layout = (files: Record<string, Buffer | string>): string => {
    const root = mkdtempSync(join(tmpdir(), 'berth-kmod-'));
    dirs.push(root);
    for (const [rel, data] of Object.entries(files)) {
      if (rel.endsWith('/')) {
        mkdirSync(join(root, rel), { recursive: true });
        continue;
      }
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), data);
    }
    return root;
  };

  it('indexes the .ko files by normalised name, reads modules.builtin, and feeds the resolver', () => {
    const base = `lib/modules/${KVER}`;
    const root = layout({
      [`${base}/kernel/drivers/block/virtio_blk.ko`]: buildModule(['depends=virtio_ring', 'name=virtio_blk']),
      [`${base}/kernel/drivers/virtio/virtio_ring.ko`]: buildModule(['depends=', 'name=virtio_ring']),
      [`${base}/kernel/net/netfilter/xt-tcpudp.ko`]: buildModule(['depends=x_tables', 'name=xt_tcpudp']),
      [`${base}/kernel/net/netfilter/x_tables.ko`]: buildModule(['depends=', 'name=x_tables']),
      [`${base}/kernel/net/netfilter/README`]: 'not a module',
      [`${base}/kernel/fs/ext4/ext4.ko.xz`]: 'compressed modules are not .ko',
      [`${base}/modules.builtin`]: 'kernel/drivers/tty/serial/8250/8250.ko\n\nkernel/fs/crc32c-generic.ko\n  kernel/drivers/input/evdev.ko  \n',
      [`${base}/modules.order`]: 'kernel/drivers/block/virtio_blk.ko\n',
      'boot/vmlinuz-x': 'kernel',
    });
    const index = indexKernelPackage(root);
    expect(index.kernelVersion).toBe(KVER);
    expect(Object.fromEntries([...index.byName].sort())).toEqual({
      virtio_blk: 'kernel/drivers/block/virtio_blk.ko',
      virtio_ring: 'kernel/drivers/virtio/virtio_ring.ko',
      x_tables: 'kernel/net/netfilter/x_tables.ko',
      xt_tcpudp: 'kernel/net/netfilter/xt-tcpudp.ko',
    });
    expect([...index.builtin].sort()).toEqual(['8250', 'crc32c_generic', 'evdev']);

    const order = resolveModuleOrder(['xt_tcpudp', 'virtio_blk', 'evdev'], index, modinfoDepends(join(root, base)));
    expect(order.load).toEqual([
      'kernel/net/netfilter/x_tables.ko',
      'kernel/net/netfilter/xt-tcpudp.ko',
      'kernel/drivers/virtio/virtio_ring.ko',
      'kernel/drivers/block/virtio_blk.ko',
    ]);
    expect(order.builtin).toEqual(['evdev']);
  });

  it('works without modules.builtin', () => {
    const root = layout({ [`lib/modules/${KVER}/kernel/a.ko`]: buildModule(['depends=']) });
    const index = indexKernelPackage(root);
    expect([...index.byName.keys()]).toEqual(['a']);
    expect(index.builtin.size).toBe(0);
  });

  it('throws when there is no lib/modules at all', () => {
    const root = layout({ 'usr/share/doc/x': 'x' });
    expect(() => indexKernelPackage(root)).toThrow(/expected one kernel version under .*lib\/modules, found 0/);
  });

  it('throws when lib/modules is empty', () => {
    const root = layout({ 'lib/modules/': '' });
    expect(() => indexKernelPackage(root)).toThrow(/found 0: is this a linux-image package\?/);
  });

  it('throws when there are two kernel versions', () => {
    const root = layout({
      'lib/modules/6.1.0-1-amd64/kernel/a.ko': buildModule([]),
      'lib/modules/6.1.0-2-amd64/kernel/a.ko': buildModule([]),
    });
    expect(() => indexKernelPackage(root)).toThrow(/found 2/);
  });
});
