// The kernel parameters per driver that tell the guest its link and where its disks are.
import { describe, expect, it } from 'vitest';
import { diskKernelParams, driverCmdline } from './guestBootParams.ts';

const BASE = 'console=ttyS0 quiet loglevel=3 panic=-1';

describe('guest boot parameters', () => {
  it('QEMU adds nothing: its command line is the image\'s own (disks by serial, link over virtio-serial)', () => {
    expect(driverCmdline('qemu', BASE)).toBe(BASE);
    expect(diskKernelParams('qemu')).toEqual([]);
  });
  it('HyperKit: vsock link, the disks by the PCI slots HyperKit gives them (their serials are BHYVE-…)', () => {
    expect(driverCmdline('hyperkit', BASE)).toBe(`${BASE} berth.link=vsock:3047 berth.disk=pci:0000:00:02.0 berth.config=pci:0000:00:03.0`);
    expect(diskKernelParams('hyperkit', { data: true, config: false })).toEqual(['berth.disk=pci:0000:00:02.0']);
    expect(diskKernelParams('hyperkit', { data: false, config: false })).toEqual([]);
  });
  it('Hyper-V: hvsock link, the data disk at SCSI 0:0:1 and the config VHD at 0:0:2 (controller 0, locations 1 and 2)', () => {
    expect(driverCmdline('hyperv', BASE)).toBe(`${BASE} berth.link=hvsock:3047 berth.disk=scsi:0:0:1 berth.config=scsi:0:0:2`);
    expect(diskKernelParams('hyperv')).toEqual(['berth.disk=scsi:0:0:1', 'berth.config=scsi:0:0:2']);
    expect(diskKernelParams('hyperv', { data: true, config: false })).toEqual(['berth.disk=scsi:0:0:1']);
  });
  it('replaces parameters already on the command line instead of adding a second one', () => {
    expect(driverCmdline('hyperv', `${BASE} berth.link=vsock:1 berth.disk=serial:x berth.config=pci:0000:00:09.0 berth.debug`)).toBe(`${BASE} berth.debug berth.link=hvsock:3047 berth.disk=scsi:0:0:1 berth.config=scsi:0:0:2`);
    expect(driverCmdline('qemu', `${BASE} berth.disk=scsi:0:0:1`)).toBe(BASE);
  });
});
