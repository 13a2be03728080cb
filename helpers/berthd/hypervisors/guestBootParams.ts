// The kernel parameters each driver adds to the image's command line so the guest finds its link and
// its disks (docs/drivers.md): berth.link= (guestLinkParams.ts), berth.disk= and berth.config=, read
// by vm-images/rootfs/etc/berth/lib.sh. QEMU adds none: its disks carry the serials the guest knows.
import type { DriverName } from './driver.ts';
import { linkKernelParams } from './guestLinkParams.ts';

/** HyperKit's PCI slots of the disks (hyperkitArgs.ts places them; the guest finds them there: their serials are BHYVE-…). */
export const HYPERKIT_DISK_SLOTS = { data: 2, config: 3 } as const;

/**
 * Hyper-V's SCSI controller 0: the boot ISO at location 0, the data disk at location 1, the config disk
 * (a fixed VHD, fixedVhd.ts) at location 2 (hypervScripts.ts attaches them there). Linux's storvsc shows
 * location n as channel 0, target 0, LUN n.
 */
export const HYPERV_SCSI = { controller: 0, isoLocation: 0, dataLocation: 1, configLocation: 2 } as const;

const pci = (slot: number): string => `pci:0000:00:${slot.toString(16).padStart(2, '0')}.0`;

/** Which disks the VM has: a parameter is given only for a disk that is attached. */
export type AttachedDisks = { data: boolean; config: boolean };

/** berth.disk= and berth.config= for a driver's attached disks. */
export function diskKernelParams(driver: DriverName, has: AttachedDisks = { data: true, config: true }): string[] {
  switch (driver) {
    case 'qemu':
      return [];
    case 'hyperkit':
      return [...(has.data ? [`berth.disk=${pci(HYPERKIT_DISK_SLOTS.data)}`] : []), ...(has.config ? [`berth.config=${pci(HYPERKIT_DISK_SLOTS.config)}`] : [])];
    case 'hyperv':
      return [...(has.data ? [`berth.disk=scsi:0:0:${HYPERV_SCSI.dataLocation}`] : []), ...(has.config ? [`berth.config=scsi:0:0:${HYPERV_SCSI.configLocation}`] : [])];
  }
}

const OURS = /^berth\.(link|disk|config)=/;

/** The image's command line for a driver: its own berth.link/disk/config words replace any already there. */
export function driverCmdline(driver: DriverName, base: string, has?: AttachedDisks): string {
  const kept = base.split(/\s+/).filter((w) => w !== '' && !OURS.test(w));
  return [...kept, ...linkKernelParams(driver), ...diskKernelParams(driver, has)].join(' ');
}
