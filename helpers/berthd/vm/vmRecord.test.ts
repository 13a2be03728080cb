// Owns: tests of vmRecord.ts and qcow2Header.ts — which VMs may be re-adopted (T-27: never a pid that
// is gone, reused by another program, or on another disk) and reading a qcow2's header (T-43).
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inspectQcow2 } from './qcow2Header.ts';
import { findAdoptable, readVmRecord, writeVmRecord, type VmRecord } from './vmRecord.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-vmrec-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const accel = { accel: 'tcg' as const, requested: 'auto' as const, why: 'test' };
const disk = join(dir, 'data.qcow2');

describe('findAdoptable', () => {
  it('no record, a bad record, a dead pid: nothing to adopt', () => {
    const path = join(dir, 'vm.json');
    expect(findAdoptable(path, disk)).toEqual({ kind: 'none', why: 'no VM record' });
    writeFileSync(path, '{"pid": "x"}');
    expect(readVmRecord(path)).toBeUndefined();
    writeVmRecord(path, { pid: 999_999_999, startedAt: 1, accel, dataDisk: disk, cpus: 1, memoryMiB: 1024 });
    expect(findAdoptable(path, disk)).toMatchObject({ kind: 'none', why: expect.stringMatching(/gone/) });
  });

  it('a live pid that is not QEMU on our disk is never adopted (a reused pid)', () => {
    const path = join(dir, 'vm2.json');
    const rec: VmRecord = { pid: process.pid, startedAt: 1, accel, dataDisk: disk, cpus: 1, memoryMiB: 1024 };
    writeVmRecord(path, rec);
    expect(findAdoptable(path, disk)).toMatchObject({ kind: 'none', why: expect.stringMatching(/not Berth's QEMU/) });
    expect(findAdoptable(path, '/other/disk.qcow2')).toMatchObject({ kind: 'none', why: expect.stringMatching(/another disk/) });
  });

  it('a qemu-system process with our disk on its command line is adopted', async () => {
    // A stand-in whose argv[0] is qemu-system-x86_64 and whose arguments hold the disk: `tail -f <disk>`.
    writeFileSync(disk, '');
    const child = spawn('/bin/bash', ['-c', `exec -a /usr/bin/qemu-system-x86_64 tail -f "$0"`, disk], { stdio: 'ignore' });
    try {
      await new Promise((r) => setTimeout(r, 300));
      const path = join(dir, 'vm3.json');
      writeVmRecord(path, { pid: child.pid!, startedAt: 1, accel, dataDisk: disk, cpus: 1, memoryMiB: 1024 });
      expect(findAdoptable(path, disk)).toMatchObject({ kind: 'adopt', record: { pid: child.pid } });
    } finally {
      child.kill();
    }
  });
});

describe('inspectQcow2', () => {
  it('reads the virtual size and the allocation; not qcow2 or missing is undefined', () => {
    const q = join(dir, 'a.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', q, '3G']);
    const info = inspectQcow2(q)!;
    expect(info.virtualSize).toBe(3 * 1024 ** 3);
    expect(info.backingFile).toBe(false);
    expect(info.allocatedBytes).toBeLessThan(1024 * 1024);
    expect(inspectQcow2(join(dir, 'missing'))).toBeUndefined();
    writeFileSync(join(dir, 'raw'), Buffer.alloc(4096));
    expect(inspectQcow2(join(dir, 'raw'))).toBeUndefined();
  });

  it('T-43: sees a backing file', () => {
    const base = join(dir, 'base.qcow2');
    const over = join(dir, 'over.qcow2');
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', base, '1G']);
    execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', '-F', 'qcow2', '-b', base, over]);
    expect(inspectQcow2(over)?.backingFile).toBe(true);
  });
});
