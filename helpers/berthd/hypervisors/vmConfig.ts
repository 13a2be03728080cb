// The hypervisor-neutral description of one VM that every driver's builder turns into its own
// command line or script. Paths are absolute host paths; nothing here is ever given to a shell.

export type Accel = 'kvm' | 'hvf' | 'whpx' | 'tcg';

export type VmConfig = {
  name: string;
  cpus: number;
  memoryMiB: number;
  accel: Accel;
  /**
   * Under TCG: one host thread runs every vCPU (`single`, the default) or one thread each (`multi`).
   * QEMU 7.2's multi-threaded TCG can leave a vCPU running a stale translation of kernel code another
   * vCPU just patched (a static key flipped at a container's start): the guest locks up for good
   * (docs/guest-config.md). `multi` stays for measuring.
   */
  tcgThread?: 'single' | 'multi';
  kernel: string;
  initrd: string;
  cmdline: string;
  /** The persistent disk holding /var/lib/docker (qcow2 for QEMU). */
  dataDisk?: { path: string; format: 'qcow2' | 'raw' };
  /** A read-only tar image the guest reads its configuration from (serial berth-config). */
  configDisk?: string;
  /** Where the guest's serial console is written. */
  consoleLog: string;
  /** QMP control socket (QEMU only). */
  qmpSocket?: string;
  /** Host end of the guest link (a unix socket). */
  guestLinkSocket?: string;
  /** QEMU user networking port forwards, host 127.0.0.1:hostPort → guest guestPort. */
  hostForwards?: { hostPort: number; guestPort: number }[];
  /** Host folders given to the guest (helpers/berthd/vm/sharesPlan.ts plans them; docs/guest-config.md). */
  shares?: VmShare[];
  pidFile?: string;
};

/**
 * One host folder for the guest, found there by `tag`. 9p (the default when `transport` is absent) is
 * served by QEMU itself; virtiofs by a virtiofsd already listening on `socketPath` (virtiofsd.ts),
 * which also makes QEMU's guest RAM a shared memfd. `hostPath` is informative for virtiofs.
 */
export type VmShare =
  | { tag: string; hostPath: string; readOnly: boolean; transport?: '9p' }
  | { tag: string; hostPath: string; readOnly: boolean; transport: 'virtiofs'; socketPath: string };
