// Hyper-V's boot medium (hypervBootMedium*.ts) booted the way a Generation 2 VM boots it: QEMU with
// OVMF (UEFI, Secure Boot off — the closest stand-in for Hyper-V's Gen 2 firmware here) starting the
// ISO from a SCSI DVD at LUN 0, with the data disk at LUN 1 and the config VHD at LUN 2 as Hyper-V
// attaches them. The unified kernel image's command line reaches the kernel, the disk and config steps
// and the agent. Run under
// `flock /tmp/berth-vm.lock`.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hypervBootCmdline } from '../../helpers/berthd/hypervisors/hypervBootMedium.ts';
import { buildHypervBootMedium, type BootMediumManifest } from '../../helpers/berthd/hypervisors/hypervBootMediumBuild.ts';
import type { QemuProcess } from '../../helpers/berthd/hypervisors/qemuProcess.ts';
import { writeConfigVhd } from '../../helpers/berthd/hypervisors/hypervDriver.ts';
import { ensureRawDisk } from '../../helpers/berthd/hypervisors/rawDisk.ts';
import { writeConfigDisk } from '../../helpers/berthd/vm/configDisk.ts';
import { imageDir, repoRoot, workDir } from '../image/imageVm.ts';
import { bootGen2StandIn, type StandIn } from './standIns.ts';

const BOOT_MS = 400_000;

describe('Hyper-V boot medium under UEFI (QEMU + OVMF standing in for a Gen 2 VM)', () => {
  let work: ReturnType<typeof workDir>;
  let o: StandIn;
  let medium: BootMediumManifest;
  let vm: QemuProcess | undefined;
  beforeAll(async () => {
    work = workDir('hyperv-boot');
    // The very medium `npm run vm:build-hyperv` makes: the same builder, Hyper-V's own command line.
    medium = await buildHypervBootMedium({ imageDir, cacheDir: join(repoRoot, 'vm-images', '.cache'), out: join(work.dir, 'hyperv-boot.iso') });
    o = { dir: work.dir, dataRaw: join(work.dir, 'data.raw'), configVhd: join(work.dir, 'config.vhd'), cmdline: medium.cmdline };
    ensureRawDisk(o.dataRaw, 4 * 1024 ** 3);
    writeConfigDisk(join(work.dir, 'config.tar'), { hostname: 'hv-gen2' });
    writeConfigVhd(o.configVhd!, join(work.dir, 'config.tar'));
  }, 300_000);
  afterAll(async () => {
    await vm?.kill();
    work.cleanup();
  });

  it('the medium is an ISO of the UKI with Hyper-V\'s link and disk parameters in its command line', () => {
    const image = JSON.parse(readFileSync(join(imageDir, 'manifest.json'), 'utf8')) as { cmdline: string };
    expect(medium.cmdline).toBe(hypervBootCmdline(image.cmdline));
    expect(medium.cmdline).toMatch(/ berth\.link=hvsock:3047 berth\.disk=scsi:0:0:1 berth\.config=scsi:0:0:2$/);
    expect(medium.stub.package).toBe('systemd-boot-efi');
    expect(medium.bytes).toBeGreaterThan(60e6);
  });

  it('OVMF boots it from the SCSI DVD: the kernel runs with the UKI\'s command line, the SCSI data disk is mounted, the config VHD read, the agent picks Hyper-V sockets, Docker starts', async () => {
    vm = bootGen2StandIn(o, medium.file);
    await vm.console.waitFor(/^berth: init/, BOOT_MS);
    await vm.console.waitFor(/^berth: config loaded: hostname=hv-gen2 \(uptime/, BOOT_MS);
    await vm.console.waitFor(/^berth: disk ready \/dev\/sd[a-z] fsck=0 \(clean\)/, BOOT_MS);
    // The agent read berth.link=hvsock:3047 from the UKI's command line and looks for Hyper-V sockets,
    // which only a real Hyper-V has (its marker says so).
    await vm.console.waitFor(/^berth: guest link: no hyperv vsock transport: the hv_sock transport is not loaded because this VM has no VMBus/, BOOT_MS);
    await vm.console.waitFor(/^berth: docker ready/, BOOT_MS);
    const lines = vm.console.lines;
    expect(lines.some((l) => /^berth: disk formatted \/dev\/sd[a-z]/.test(l))).toBe(true);
    // No -kernel: the firmware found \EFI\BOOT\BOOTX64.EFI on the DVD's El Torito UEFI image.
    expect(readFileSync(`/proc/${vm.pid}/cmdline`, 'utf8').split('\0')).not.toContain('-kernel');
    const off = await vm.powerdown(120_000);
    expect(off.graceful).toBe(true);
  }, BOOT_MS);
});
