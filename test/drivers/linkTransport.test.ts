// The image booted under QEMU with each driver's kernel parameters (QEMU stands in for HyperKit and
// Hyper-V): the agent picks its guest-link transport from berth.link=, serves virtio-serial for QEMU,
// and for vsock/hvsock says plainly — a boot marker on the console — that the transport is missing (QEMU
// here has no vsock device and no VMBus). Run under `flock /tmp/berth-vm.lock`. docs/drivers.md lists
// what this cannot prove.
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkSession } from '../../helpers/berthd/guest/linkSession.ts';
import type { DriverName } from '../../helpers/berthd/hypervisors/driver.ts';
import { cmdlineFor } from '../../helpers/berthd/hypervisors/guestLinkParams.ts';
import type { QemuProcess } from '../../helpers/berthd/hypervisors/qemuProcess.ts';
import { bootImage, builtImage, createQcow2, workDir } from '../image/imageVm.ts';

const BOOT_MS = 240_000;

async function bootWith(driver: DriverName): Promise<{ qemu: QemuProcess; link: string; cleanup: () => Promise<void> }> {
  const { dir, cleanup } = workDir(`link-${driver}`);
  const disk = join(dir, 'data.qcow2');
  createQcow2(disk, '2G');
  const link = join(dir, 'link.sock');
  const { manifest } = builtImage();
  // berth.debug copies the agent's log to the console, where the test reads its choice.
  const extra = `${cmdlineFor(driver, manifest.cmdline).slice(manifest.cmdline.length).trim()} berth.debug`.trim();
  const qemu = bootImage(dir, { disk, guestLinkSocket: link, cmdlineExtra: extra, name: `berth-link-${driver}` });
  return { qemu, link, cleanup: async () => (await qemu.kill(), cleanup()) };
}

describe('guest link transport chosen from the kernel command line (QEMU/TCG)', () => {
  describe('QEMU: no berth.link=, virtio-serial', () => {
    let vm: Awaited<ReturnType<typeof bootWith>>;
    beforeAll(async () => (vm = await bootWith('qemu')), BOOT_MS);
    afterAll(async () => vm?.cleanup());

    it('the agent says it chose virtio-serial by default and answers HELLO on QEMU\'s socket', async () => {
      await vm.qemu.console.waitFor(/\[agent\] serve: guest link transport: virtio-serial port "berth\.link" \(default: no berth\.link=/, BOOT_MS);
      const socket = connect(vm.link);
      await new Promise<void>((resolve, reject) => (socket.once('connect', resolve), socket.once('error', reject)));
      const session = new LinkSession(socket);
      const hello = new Promise<unknown>((r) => session.once('hello', r));
      session.start();
      expect(await hello).toMatchObject({ agent: expect.any(String) });
      socket.destroy();
      // The QEMU path's console is as it was: the vsock markers belong to the other drivers.
      expect(vm.qemu.console.lines.some((l) => l.startsWith('berth: guest link'))).toBe(false);
    }, BOOT_MS);

    it('the Hyper-V drivers are in the image and skipped where there is no VMBus; their SCSI dependencies load', async () => {
      const m = await vm.qemu.console.waitFor(/^berth: modules loaded \((\d+), optional (\d+), skipped (\d+): ([\w -]+)\)/, BOOT_MS);
      expect(m[4]!.trim().split(' ').sort()).toEqual(['hv_netvsc', 'hv_sock', 'hv_storvsc', 'hv_utils', 'hv_vmbus']);
      expect(Number(m[3])).toBe(5);
      // sd_mod, scsi_mod and their CRC helpers (hv_storvsc's dependencies) and virtio_scsi need no VMBus.
      expect(Number(m[2])).toBeGreaterThanOrEqual(2);
    }, BOOT_MS);
  });

  describe('HyperKit parameters: berth.link=vsock:3047', () => {
    let vm: Awaited<ReturnType<typeof bootWith>>;
    beforeAll(async () => (vm = await bootWith('hyperkit')), BOOT_MS);
    afterAll(async () => vm?.cleanup());

    it('the agent looks for virtio-vsock, not virtio-serial, and says there is no vsock device', async () => {
      await vm.qemu.console.waitFor(/\[agent\] serve: guest link transport: virtio vsock port 3047 \(berth\.link=vsock:3047 on the kernel command line\)/, BOOT_MS);
      // A boot marker straight from the agent: the console says why without berth.debug.
      await vm.qemu.console.waitFor(/^berth: guest link: no virtio vsock transport: there is no virtio-vsock device in this VM \(the kernel has no CID for it\)/, BOOT_MS);
      expect(vm.qemu.console.lines.some((l) => /guest link on \/dev\/vport/.test(l))).toBe(false);
    }, BOOT_MS);
  });

  describe('Hyper-V parameters: berth.link=hvsock:3047', () => {
    let vm: Awaited<ReturnType<typeof bootWith>>;
    beforeAll(async () => (vm = await bootWith('hyperv')), BOOT_MS);
    afterAll(async () => vm?.cleanup());

    it('the agent looks for Hyper-V sockets and says this VM has no VMBus', async () => {
      await vm.qemu.console.waitFor(/\[agent\] serve: guest link transport: hyperv vsock port 3047 \(berth\.link=hvsock:3047 on the kernel command line\)/, BOOT_MS);
      await vm.qemu.console.waitFor(/^berth: guest link: no hyperv vsock transport: the hv_sock transport is not loaded because this VM has no VMBus/, BOOT_MS);
      expect(vm.qemu.console.lines.some((l) => /guest link on \/dev\/vport/.test(l))).toBe(false);
    }, BOOT_MS);
  });
});
