// QEMU standing in for HyperKit and Hyper-V in the VM tests: Berth's own QEMU argv (qemuArgs.ts) with
// the disks laid out as each hypervisor shows them to Linux — HyperKit's virtio-blk at PCI slots 2 and 3
// without our serials, Hyper-V's SCSI controller with the DVD at LUN 0, the data disk at LUN 1 and the
// config VHD at LUN 2 —
// and, for Hyper-V's Generation 2 firmware, OVMF booting the boot medium from that DVD.
import { copyFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { HYPERKIT_DISK_SLOTS, HYPERV_SCSI } from '../../helpers/berthd/hypervisors/guestBootParams.ts';
import { qemuArgs } from '../../helpers/berthd/hypervisors/qemuArgs.ts';
import { QemuProcess } from '../../helpers/berthd/hypervisors/qemuProcess.ts';
import type { VmConfig } from '../../helpers/berthd/hypervisors/vmConfig.ts';
import { builtImage } from '../image/imageVm.ts';

export type StandIn = { dir: string; cmdline: string; dataRaw: string; configTar?: string; configVhd?: string };

function base(o: StandIn, name: string, kernelBoot: boolean): { argv: string[]; io: { consoleLog: string; qmpSocket: string } } {
  const { kernel, initrd } = builtImage();
  const c: VmConfig = { name, cpus: 2, memoryMiB: 2048, accel: 'tcg', kernel, initrd, cmdline: o.cmdline, consoleLog: join(o.dir, `console-${Date.now()}.log`), qmpSocket: join(o.dir, 'qmp.sock') };
  let argv = qemuArgs(c);
  if (!kernelBoot) {
    // Firmware boot: no -kernel/-initrd/-append (the medium carries them).
    for (const opt of ['-kernel', '-initrd', '-append']) {
      const i = argv.indexOf(opt);
      argv = [...argv.slice(0, i), ...argv.slice(i + 2)];
    }
  }
  return { argv, io: { consoleLog: c.consoleLog, qmpSocket: c.qmpSocket! } };
}

const slot = (n: number): string => `0x${n.toString(16)}`;

/** HyperKit's PCI layout (hyperkitArgs.ts): net 1, data 2, config 3, rng 4; no berth-data/berth-config serials. */
export function bootHyperkitStandIn(o: StandIn): QemuProcess {
  const { argv, io } = base(o, 'berth-hyperkit-standin', true);
  const a = argv.map((x) => (x === 'virtio-rng-pci' ? 'virtio-rng-pci,addr=0x4' : x.startsWith('virtio-net-pci,') ? `${x},addr=0x1` : x));
  a.push('-drive', `if=none,id=data,file=${o.dataRaw},format=raw,discard=unmap`, '-device', `virtio-blk-pci,drive=data,addr=${slot(HYPERKIT_DISK_SLOTS.data)}`);
  if (o.configTar) a.push('-drive', `if=none,id=config,file=${o.configTar},format=raw,readonly=on`, '-device', `virtio-blk-pci,drive=config,addr=${slot(HYPERKIT_DISK_SLOTS.config)}`);
  return QemuProcess.spawnArgv(a, io);
}

/**
 * Hyper-V's SCSI controller 0 (hypervScripts.ts): the DVD (empty, or `iso`) at LUN 0, the data disk at
 * LUN 1, the config disk (a fixed VHD, read by QEMU's vpc driver; writable, as Hyper-V attaches it) at LUN 2.
 */
function scsiDisks(o: StandIn, iso?: string): string[] {
  const at = (lun: number): string => `bus=scsi0.0,channel=0,scsi-id=0,lun=${lun}`;
  return [
    '-device', 'virtio-scsi-pci,id=scsi0',
    '-drive', `if=none,id=dvd,media=cdrom,readonly=on${iso ? `,file=${iso},format=raw` : ''}`,
    '-device', `scsi-cd,${at(HYPERV_SCSI.isoLocation)},drive=dvd${iso ? ',bootindex=0' : ''}`,
    '-drive', `if=none,id=data,file=${o.dataRaw},format=raw,discard=unmap`,
    '-device', `scsi-hd,${at(HYPERV_SCSI.dataLocation)},drive=data`,
    ...(o.configVhd ? ['-drive', `if=none,id=config,file=${o.configVhd},format=vpc`, '-device', `scsi-hd,${at(HYPERV_SCSI.configLocation)},drive=config`] : []),
  ];
}

/** Hyper-V's disks on SCSI, the kernel booted directly (the command line given in `cmdline`). */
export function bootHypervScsiStandIn(o: StandIn): QemuProcess {
  const { argv, io } = base(o, 'berth-hyperv-standin', true);
  return QemuProcess.spawnArgv([...argv, ...scsiDisks(o)], io);
}

export const OVMF_CODE = '/usr/share/OVMF/OVMF_CODE_4M.fd';
const OVMF_VARS = '/usr/share/OVMF/OVMF_VARS_4M.fd';

/** A Generation 2 stand-in: OVMF (UEFI, Secure Boot off) booting `iso` from the SCSI DVD, the data disk at LUN 1. */
export function bootGen2StandIn(o: StandIn, iso: string): QemuProcess {
  if (!existsSync(OVMF_CODE)) throw new Error(`${OVMF_CODE} is missing: apt-get install ovmf`);
  const vars = join(o.dir, 'OVMF_VARS.fd');
  copyFileSync(OVMF_VARS, vars);
  const { argv, io } = base(o, 'berth-gen2-standin', false);
  const firmware = ['-drive', `if=pflash,format=raw,unit=0,readonly=on,file=${OVMF_CODE}`, '-drive', `if=pflash,format=raw,unit=1,file=${vars}`];
  return QemuProcess.spawnArgv([...firmware, ...argv, ...scsiDisks(o, iso)], io);
}
