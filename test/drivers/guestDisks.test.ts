// The guest finds its disks wherever each driver attaches them (berth.disk= / berth.config=, lib.sh's
// disk_at), proven with QEMU standing in (standIns.ts): HyperKit's virtio-blk at PCI slots without our
// serials, and Hyper-V's SCSI disk at LUN 1 — formatted and mounted at /var/lib/docker, Docker started
// on it, found again at the next boot — and Hyper-V's config VHD at LUN 2 (QEMU's vpc driver reads it). The QEMU path (serials, no parameter) is the one every other VM
// suite boots. Run under `flock /tmp/berth-vm.lock`.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { driverCmdline } from '../../helpers/berthd/hypervisors/guestBootParams.ts';
import type { QemuProcess } from '../../helpers/berthd/hypervisors/qemuProcess.ts';
import { writeConfigVhd } from '../../helpers/berthd/hypervisors/hypervDriver.ts';
import { ensureRawDisk } from '../../helpers/berthd/hypervisors/rawDisk.ts';
import { writeConfigDisk } from '../../helpers/berthd/vm/configDisk.ts';
import { builtImage, workDir } from '../image/imageVm.ts';
import { bootHyperkitStandIn, bootHypervScsiStandIn, type StandIn } from './standIns.ts';

const BOOT_MS = 300_000;
const GiB = 1024 ** 3;

/** What Docker left on the ext4 disk, and its label, read on the host (e2fsprogs), the VM stopped. */
function ext4Facts(raw: string): { label: string; root: string[] } {
  const label = /^Filesystem volume name:\s+(.*)$/m.exec(execFileSync('dumpe2fs', ['-h', raw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }))?.[1] ?? '';
  const root = execFileSync('debugfs', ['-R', 'ls -p /', raw], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })
    .split('\n')
    .map((l) => l.split('/')[5])
    .filter((n): n is string => !!n && n !== '.' && n !== '..');
  return { label, root };
}

/**
 * Boot until the disk is mounted and the config read (a later boot only has to find them again), then
 * stop it at once: nothing further is checked on the disk, so no Docker start and no ACPI power-off.
 */
async function bootToDisk(boot: () => QemuProcess): Promise<string[]> {
  const vm = boot();
  try {
    await vm.console.waitFor(/^berth: disk ready/, BOOT_MS);
    await vm.console.waitFor(/^berth: config loaded/, BOOT_MS);
    return [...vm.console.lines];
  } finally {
    await vm.kill();
  }
}

/** Boot, wait for Docker, power off through ACPI (the agent stops Docker and unmounts), return the console. */
async function bootToDocker(boot: () => QemuProcess): Promise<string[]> {
  const vm = boot();
  try {
    await vm.console.waitFor(/^berth: docker ready/, BOOT_MS);
    const off = await vm.powerdown(120_000);
    expect(off.graceful).toBe(true);
    return [...vm.console.lines];
  } finally {
    await vm.kill();
  }
}

describe('HyperKit: disks by PCI slot (virtio-blk at 2 and 3, serials not ours)', () => {
  let work: ReturnType<typeof workDir>;
  let o: StandIn;
  beforeAll(() => {
    work = workDir('disk-hyperkit');
    o = { dir: work.dir, dataRaw: join(work.dir, 'data.raw'), configTar: join(work.dir, 'config.tar'), cmdline: driverCmdline('hyperkit', builtImage().manifest.cmdline, { data: true, config: true }) };
    ensureRawDisk(o.dataRaw, 4 * GiB); // HyperKit's own disk code: sparse raw
    writeConfigDisk(o.configTar!, { hostname: 'hk-standin' });
  });
  afterAll(() => work.cleanup());

  it('first boot: the blank disk at 00:02.0 is formatted berth-data and mounted; the config at 00:03.0 is read; Docker writes to the disk', async () => {
    expect(o.cmdline).toMatch(/berth\.disk=pci:0000:00:02\.0 berth\.config=pci:0000:00:03\.0$/);
    const lines = await bootToDocker(() => bootHyperkitStandIn(o));
    expect(lines.find((l) => l.startsWith('berth: config loaded'))).toMatch(/hostname=hk-standin/);
    expect(lines.some((l) => /^berth: disk formatted \/dev\/vd[a-z]/.test(l))).toBe(true);
    expect(lines.find((l) => l.startsWith('berth: disk ready'))).toMatch(/^berth: disk ready \/dev\/vd[a-z] fsck=0 \(clean\) size=\d+k/);
    const facts = ext4Facts(o.dataRaw);
    expect(facts.label).toBe('berth-data');
    expect(facts.root).toEqual(expect.arrayContaining(['image', 'overlay2', 'containers', 'volumes']));
  }, BOOT_MS * 2);

  it('second boot: the same disk is found again and mounted as it is (not formatted again)', async () => {
    const lines = await bootToDisk(() => bootHyperkitStandIn(o));
    expect(lines.some((l) => l.startsWith('berth: disk formatted'))).toBe(false);
    expect(lines.find((l) => l.startsWith('berth: disk ready'))).toMatch(/fsck=0 \(clean\)/);
  }, BOOT_MS * 2);

  it('a named disk that is not there stops the boot saying where it looked (never Docker on a RAM disk)', async () => {
    const vm = bootHyperkitStandIn({ ...o, cmdline: o.cmdline.replace('berth.disk=pci:0000:00:02.0', 'berth.disk=pci:0000:00:09.0') });
    try {
      await vm.console.waitFor(/^berth: disk: berth\.disk=pci:0000:00:09\.0: there is no disk at that address/, BOOT_MS);
      await vm.console.waitFor(/^berth: boot failed at step disk/, BOOT_MS);
    } finally {
      await vm.kill();
    }
  }, BOOT_MS);
});

describe('Hyper-V: disks by SCSI address (controller 0: the DVD at LUN 0, the data disk at LUN 1, the config VHD at LUN 2)', () => {
  let work: ReturnType<typeof workDir>;
  let o: StandIn;
  let configTar: string;
  beforeAll(() => {
    work = workDir('disk-hyperv');
    configTar = join(work.dir, 'config.tar');
    o = { dir: work.dir, dataRaw: join(work.dir, 'data.raw'), configVhd: join(work.dir, 'config.vhd'), cmdline: driverCmdline('hyperv', builtImage().manifest.cmdline) };
    ensureRawDisk(o.dataRaw, 4 * GiB);
    // What the Hyper-V driver does before each start: berthd's config tar, written as a fixed VHD.
    writeConfigDisk(configTar, { hostname: 'hv-standin', daemonJson: { 'log-level': 'warn' } });
    writeConfigVhd(o.configVhd!, configTar);
  });
  afterAll(() => work.cleanup());

  it('the SCSI disk at 0:0:1 is formatted berth-data, mounted at /var/lib/docker, and found again at the next boot; the config VHD at 0:0:2 is read at each boot', async () => {
    expect(o.cmdline).toMatch(/berth\.disk=scsi:0:0:1 berth\.config=scsi:0:0:2$/);
    const first = await bootToDocker(() => bootHypervScsiStandIn(o));
    expect(first.some((l) => /^berth: disk formatted \/dev\/sd[a-z]/.test(l))).toBe(true);
    // The guest's own `hostname` after applying it, and daemon.json copied for dockerd (which then started).
    expect(first.find((l) => l.startsWith('berth: config'))).toMatch(/^berth: config loaded: hostname=hv-standin daemon\.json \(uptime/);
    expect(ext4Facts(o.dataRaw)).toMatchObject({ label: 'berth-data', root: expect.arrayContaining(['image', 'overlay2']) });
    // The next start writes the VHD again, in place, from the settings of that start.
    writeConfigDisk(configTar, { hostname: 'hv-standin-2' });
    writeConfigVhd(o.configVhd!, configTar);
    const second = await bootToDisk(() => bootHypervScsiStandIn(o));
    expect(second.some((l) => l.startsWith('berth: disk formatted'))).toBe(false);
    expect(second.find((l) => l.startsWith('berth: disk ready'))).toMatch(/^berth: disk ready \/dev\/sd[a-z] fsck=0 \(clean\)/);
    expect(second.find((l) => l.startsWith('berth: config'))).toMatch(/^berth: config loaded: hostname=hv-standin-2 \(uptime/);
  }, BOOT_MS * 3);

  it('a config disk the command line names but the VM lacks stops the boot saying where it looked', async () => {
    const vm = bootHypervScsiStandIn({ ...o, configVhd: undefined });
    try {
      await vm.console.waitFor(/^berth: config: berth\.config=scsi:0:0:2: there is no disk at that address/, BOOT_MS);
      await vm.console.waitFor(/^berth: boot failed at step config/, BOOT_MS);
    } finally {
      await vm.kill();
    }
  }, BOOT_MS);
});
