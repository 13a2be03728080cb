// The guest's disk finding (vm-images/rootfs/etc/berth/lib.sh: disk_at, find_disk) run by the image's own
// busybox sh against sysfs trees laid out as QEMU, HyperKit and Hyper-V show their disks to Linux.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const vmDir = join(dirname(fileURLToPath(import.meta.url)), '..');
const LIB = join(vmDir, 'rootfs', 'etc', 'berth', 'lib.sh');

/** The image's busybox (its sh is what runs the steps), or the host's sh before the first image build. */
function shell(): string[] {
  const extract = join(vmDir, '.cache', 'extract');
  const dir = existsSync(extract) ? readdirSync(extract).find((d) => d.startsWith('busybox-static_')) : undefined;
  return dir ? [join(extract, dir, 'bin', 'busybox'), 'sh'] : ['sh'];
}

let sys: string;
const touch = (rel: string, text = ''): void => {
  mkdirSync(dirname(join(sys, rel)), { recursive: true });
  writeFileSync(join(sys, rel), text);
};

function run(fn: string, ...args: string[]): { code: number; out: string; err: string } {
  const [cmd, ...pre] = shell();
  const r = spawnSync(cmd!, [...pre, '-c', `. "$LIB"; ${fn} "$@"`, 'sh', ...args], { env: { ...process.env, LIB, BERTH_SYS: sys, PATH: process.env.PATH }, encoding: 'utf8' });
  return { code: r.status ?? -1, out: r.stdout.trim(), err: r.stderr.trim() };
}

beforeAll(() => {
  sys = mkdtempSync(join(tmpdir(), 'berth-sys-'));
  // QEMU: virtio disks with serials.
  touch('block/vda/serial', 'berth-data');
  touch('block/vdb/serial', 'berth-config');
  // HyperKit: virtio-blk at PCI 00:02.0 and 00:03.0, serials BHYVE-… (derived from the file's path).
  touch('block/vdc/serial', 'BHYVE-A1B2-C3D4-E5F6');
  touch('bus/pci/devices/0000:00:02.0/virtio3/block/vdc/size', '0');
  touch('bus/pci/devices/0000:00:03.0/virtio4/block/vdd/size', '0');
  // Hyper-V: storvsc host 2, the DVD at LUN 0 (sr0), the data disk at LUN 1 (sda).
  touch('bus/scsi/devices/2:0:0:0/block/sr0/size', '0');
  touch('bus/scsi/devices/2:0:0:1/block/sda/size', '0');
  touch('bus/scsi/devices/target2:0:0/uevent');
  touch('bus/scsi/devices/host2/uevent');
});
afterAll(() => rmSync(sys, { recursive: true, force: true }));

describe('disk_at', () => {
  it('QEMU: serial:berth-data and serial:berth-config', () => {
    expect(run('disk_at', 'serial:berth-data')).toMatchObject({ code: 0, out: '/dev/vda' });
    expect(run('disk_at', 'serial:berth-config')).toMatchObject({ code: 0, out: '/dev/vdb' });
    expect(run('disk_at', 'serial:berth-other').code).toBe(1);
  });
  it('HyperKit: the virtio-blk disk at a PCI address, whatever its BHYVE serial', () => {
    expect(run('disk_at', 'pci:0000:00:02.0')).toMatchObject({ code: 0, out: '/dev/vdc' });
    expect(run('disk_at', 'pci:0000:00:03.0')).toMatchObject({ code: 0, out: '/dev/vdd' });
    expect(run('disk_at', 'pci:0000:00:05.0').code).toBe(1);
  });
  it('Hyper-V: the SCSI disk at channel:target:lun on any host, never the DVD at LUN 0', () => {
    expect(run('disk_at', 'scsi:0:0:1')).toMatchObject({ code: 0, out: '/dev/sda' });
    expect(run('disk_at', 'scsi:0:0:2').code).toBe(1);
  });
  it('refuses malformed locators (so nothing in one can reach a glob or a command)', () => {
    for (const bad of ['scsi:0:0', 'scsi:0:0:1:2', 'scsi:*', 'pci:00:02.0', 'pci:0000:00:02.0/../x', 'pci:*', 'serial:', 'serial:a b', 'serial:$(reboot)', 'nvme:1', '']) {
      expect(run('disk_at', bad).code, bad).toBe(2);
    }
  });
  it('two SCSI hosts with a disk at the same address: refused rather than guessed', () => {
    touch('bus/scsi/devices/3:0:0:1/block/sdb/size', '0');
    try {
      expect(run('disk_at', 'scsi:0:0:1').code).toBe(3);
    } finally {
      rmSync(join(sys, 'bus/scsi/devices/3:0:0:1'), { recursive: true });
    }
  });
});

describe('find_disk', () => {
  it('finds the named disk and prints only its device', () => {
    expect(run('find_disk', 'berth.disk', 'scsi:0:0:1', '3')).toEqual({ code: 0, out: '/dev/sda', err: '' });
  });
  it('waits for a disk that appears late (an asynchronous SCSI scan)', () => {
    const [cmd, ...pre] = shell();
    const script = `. "$LIB"; ( sleep 0.3; mkdir -p "$BERTH_SYS/bus/scsi/devices/2:0:0:4/block/sdc" ) & find_disk berth.disk scsi:0:0:4 50`;
    const out = execFileSync(cmd!, [...pre, '-c', script], { env: { ...process.env, LIB, BERTH_SYS: sys }, encoding: 'utf8' });
    expect(out.trim()).toBe('/dev/sdc');
  });
  it('says why when the disk is not there, the locator is malformed, or the address is ambiguous', () => {
    expect(run('find_disk', 'berth.disk', 'pci:0000:00:09.0', '2')).toEqual({ code: 1, out: '', err: 'berth.disk=pci:0000:00:09.0: there is no disk at that address' });
    expect(run('find_disk', 'berth.config', 'floppy:0', '2')).toMatchObject({ code: 2, err: 'berth.config=floppy:0 is not serial:<name>, pci:<dddd:bb:ss.f> or scsi:<channel>:<target>:<lun>' });
  });
});
