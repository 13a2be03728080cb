// Pure builder: VmConfig → the argv of hyperkit (Intel macOS). HyperKit's option lists have no escape
// for a comma (its parsers split on every one), so a value that would add an option is refused (T-44).
import { driverCmdline, HYPERKIT_DISK_SLOTS } from './guestBootParams.ts';
import { GUEST_LINK_VSOCK_PORT, HYPERKIT_GUEST_CID } from './guestLinkParams.ts';
import type { VmConfig } from './vmConfig.ts';

/** What HyperKit needs beside the VmConfig: its own files and the 9P servers of the shares. */
export type HyperkitExtras = {
  /** Directory of the virtio-vsock device: HyperKit makes its unix sockets here (path=). */
  vsockDir: string;
  /** The pty HyperKit makes for the serial console (the log file gets the same bytes). */
  ttyPath: string;
  /** The VM's UUID: vmnet derives the guest's MAC address from it, so it must stay the same. */
  uuid: string;
  /**
   * HyperKit's virtio-9p does not serve a folder itself: it forwards the guest's 9P messages to a
   * server on a unix socket (`path=`; pci_virtio_9p.c connects on the guest's first request, for up
   * to 10 s, and exits if the server goes away). One berth-ninep-server socket per share, by tag.
   */
  ninePSockets?: Record<string, string>;
};

/** macOS's sockaddr_un.sun_path holds 104 bytes; HyperKit adds "/00000003.00000be7" to path=. */
export const DARWIN_SUN_PATH_MAX = 104;

/** A value HyperKit parses inside a comma-separated option list: no commas, no control characters. */
export function hyperkitOptValue(what: string, value: string): string {
  if (value === '') throw new Error(`HyperKit: ${what} is empty`);
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\x00-\x1f\x7f]/.test(value)) throw new Error(`HyperKit: ${what} ${JSON.stringify(value)} holds a control character; HyperKit cannot be given it`);
  if (value.includes(',')) {
    throw new Error(`HyperKit: ${what} ${JSON.stringify(value)} holds a comma, which HyperKit reads as the start of another option and cannot escape; move it to a path without commas (set BERTH_HOME)`);
  }
  return value;
}

const TAG_RE = /^[A-Za-z0-9_.-]{1,31}$/;
const UUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/**
 * PCI slots: 0 host bridge, 31 LPC; devices at fixed slots so the guest finds its disks by address
 * (berth.disk=pci:…, guestBootParams.ts): HyperKit's disk serials are BHYVE-… hashes, not names.
 */
const SLOT = { net: 1, data: HYPERKIT_DISK_SLOTS.data, config: HYPERKIT_DISK_SLOTS.config, rng: 4, vsock: 5, firstShare: 6, lastShare: 30 } as const;

export function hyperkitArgs(c: VmConfig, x: HyperkitExtras): string[] {
  if (!Number.isInteger(c.cpus) || c.cpus < 1) throw new Error(`cpus must be a whole number ≥ 1, got ${c.cpus}`);
  if (!Number.isInteger(c.memoryMiB) || c.memoryMiB < 128) throw new Error(`memory must be at least 128 MiB, got ${c.memoryMiB}`);
  if (c.accel !== 'hvf') throw new Error(`HyperKit always runs on Hypervisor.framework: accel must be hvf, not ${c.accel}`);
  if (!c.pidFile) throw new Error('HyperKit needs a pid file (-F) so that a restarted berthd can re-adopt the VM');
  if (!UUID_RE.test(x.uuid)) throw new Error(`HyperKit: uuid ${JSON.stringify(x.uuid)} is not a UUID`);
  if (c.dataDisk && c.dataDisk.format !== 'raw') throw new Error(`HyperKit reads raw disks only, not ${c.dataDisk.format}: create the data disk with rawDisk.ts`);
  if (c.hostForwards?.length) throw new Error('HyperKit has no user-mode port forwards: ports are forwarded over the guest link');
  const vsockDir = hyperkitOptValue('the vsock directory', x.vsockDir.replace(/\/+$/, ''));
  if (Buffer.byteLength(vsockDir) + '/00000000.00000000'.length + 1 > DARWIN_SUN_PATH_MAX) {
    throw new Error(`HyperKit: the vsock directory ${JSON.stringify(vsockDir)} is too long for the unix socket paths HyperKit makes in it (at most ${DARWIN_SUN_PATH_MAX - 19} bytes); set BERTH_HOME to a shorter path`);
  }
  const shares = c.shares ?? [];
  if (shares.length > SLOT.lastShare - SLOT.firstShare + 1) throw new Error(`HyperKit has PCI slots for ${SLOT.lastShare - SLOT.firstShare + 1} shares, not ${shares.length}`);

  const a: string[] = [
    '-A', // ACPI tables: the guest powers off through ACPI, and HyperKit then exits 0
    '-u', // the RTC keeps UTC
    '-U', x.uuid,
    '-F', hyperkitOptValue('the pid file', c.pidFile),
    '-c', String(c.cpus),
    '-m', `${c.memoryMiB}M`,
    '-s', '0:0,hostbridge',
    '-s', '31,lpc',
    '-l', `com1,autopty=${hyperkitOptValue('the console pty', x.ttyPath)},log=${hyperkitOptValue('the console log', c.consoleLog)}`,
    // vmnet.framework: NAT with a DHCP-assigned address; needs root or the vmnet entitlement.
    '-s', `${SLOT.net}:0,virtio-net`,
  ];
  if (c.dataDisk) a.push('-s', `${SLOT.data}:0,virtio-blk,${hyperkitOptValue('the data disk', c.dataDisk.path)}`);
  if (c.configDisk) a.push('-s', `${SLOT.config}:0,virtio-blk,${hyperkitOptValue('the config disk', c.configDisk)},ro`);
  a.push('-s', `${SLOT.rng}:0,virtio-rnd`);
  a.push('-s', `${SLOT.vsock}:0,virtio-sock,guest_cid=${HYPERKIT_GUEST_CID},path=${vsockDir},guest_forwards=${GUEST_LINK_VSOCK_PORT}`);
  shares.forEach((s, i) => {
    if (!TAG_RE.test(s.tag)) throw new Error(`share tag ${JSON.stringify(s.tag)} must be 1–31 letters, digits, "_", "." or "-"`);
    if (s.transport === 'virtiofs') throw new Error(`share ${s.tag}: HyperKit has no virtiofs; use 9p`);
    const sock = x.ninePSockets?.[s.tag];
    if (!sock) throw new Error(`share ${s.tag}: HyperKit needs a 9P server socket for it (ninePSockets)`);
    if (Buffer.byteLength(sock) + 1 > DARWIN_SUN_PATH_MAX) throw new Error(`HyperKit: the 9P socket ${JSON.stringify(sock)} of share ${s.tag} is longer than a unix socket path may be (${DARWIN_SUN_PATH_MAX - 1} bytes); set BERTH_HOME to a shorter path`);
    // A read-only share is the server's -ro (ninepServer.ts): HyperKit's virtio-9p has no such option.
    a.push('-s', `${SLOT.firstShare + i}:0,virtio-9p,path=${hyperkitOptValue(`the 9P socket of share ${s.tag}`, sock)},tag=${s.tag}`);
  });
  // kexec,<kernel>,<initrd>,<cmdline>: the command line is everything after the third comma.
  const cmdline = driverCmdline('hyperkit', c.cmdline, { data: c.dataDisk !== undefined, config: c.configDisk !== undefined });
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\x00-\x1f\x7f]/.test(cmdline)) throw new Error('HyperKit: the kernel command line holds a control character');
  a.push('-f', `kexec,${hyperkitOptValue('the kernel', c.kernel)},${hyperkitOptValue('the initrd', c.initrd)},${cmdline}`);
  return a;
}
