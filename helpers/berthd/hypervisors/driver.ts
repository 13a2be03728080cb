// The hypervisor driver interface, extracted from what the VM manager uses of QEMU: start a VM from a
// VmConfig, follow its console, power it down (graceful, then forced), kill it, and see it exit.
import type { AccelInfo } from '../../api/vmState.ts';
import type { ConsoleFollower } from './consoleFollower.ts';
import type { VmConfig } from './vmConfig.ts';

export type DriverName = 'qemu' | 'hyperkit' | 'hyperv';

/** How a VM process ended: exit code or signal where there is a process of ours, and its last errors. */
export type VmExit = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

/** What a stop achieved: whether the guest powered off by itself, and how long it took. */
export type PowerdownResult = { graceful: boolean; ms: number };

/**
 * One running VM, whatever runs it. QemuProcess, HyperkitProcess and HypervVm implement it.
 * - `exited` resolves once, when the VM is gone (never rejects).
 * - `powerdown` asks the guest to power off (QEMU: ACPI through QMP; HyperKit: the agent's shutdown
 *   RPC; Hyper-V: Stop-VM through the shutdown integration service), waits up to `timeoutMs`, then
 *   forces it off. On a VM already gone it resolves at once as graceful.
 * - `kill` forces it off now (SIGKILL; Hyper-V: Stop-VM -TurnOff) and resolves with the exit.
 */
export interface VmProcess {
  readonly pid: number | undefined;
  readonly running: boolean;
  readonly exited: Promise<VmExit>;
  readonly console: ConsoleFollower;
  powerdown(timeoutMs?: number): Promise<PowerdownResult>;
  kill(): Promise<VmExit>;
}

/** Where berthd reaches the guest link: a unix socket (QEMU, HyperKit) or a named pipe (Hyper-V, via hvsock-bridge). */
export type GuestLinkEndpoint = { kind: 'unix'; path: string } | { kind: 'pipe'; path: string };

/** What a driver needs to be told and what it offers, beside starting a VM. */
export interface HypervisorDriver {
  readonly name: DriverName;
  /** The data disk's format on the host: QEMU qcow2, HyperKit a sparse raw file, Hyper-V VHDX. */
  readonly diskFormat: 'qcow2' | 'raw' | 'vhdx';
  /** Kernel parameters the driver adds to the image's command line so the agent picks its link transport. */
  readonly linkKernelParams: readonly string[];
  /** Whether QMP-style host-side ACPI is available (otherwise the agent's shutdown RPC is the graceful path). */
  readonly hostAcpi: boolean;
}

/** A host that cannot run the driver now, and what the user can do about it. */
export class HostProblem extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
    this.name = 'HostProblem';
  }
}

/** What the VM manager learns of a VM taken over from an earlier berthd (what is missing, it takes from the settings). */
export type AdoptedVm = { vm: VmProcess; startedAt?: number; cpus?: number; memoryMiB?: number; accel?: AccelInfo };
export type Adoption = { kind: 'adopt'; adopted: AdoptedVm } | { kind: 'none'; why: string };

/**
 * A driver as the VM manager runs it: the same steps for QEMU, HyperKit and Hyper-V, each filled in
 * by the driver (qemuDriver.ts, hyperkitDriver.ts, hypervDriver.ts; chosen by driverChoice.ts).
 */
export interface DriverRuntime extends HypervisorDriver {
  /** Shown in messages: "QEMU", "HyperKit", "Hyper-V". */
  readonly label: string;
  /** This driver's data disk on the host (each driver has its own format, so its own file). */
  readonly dataDisk: string;
  /** The acceleration when the driver has only one (HyperKit: HVF; Hyper-V: the Windows hypervisor); QEMU plans its own. */
  readonly fixedAccel?: Pick<AccelInfo, 'accel' | 'why'>;
  /** Whether the driver serves the shares' folders to the guest (QEMU: 9p/virtiofs; HyperKit: 9p; Hyper-V: 9P over the link). */
  readonly sharesSupported: boolean;
  /** How shares reach the guest: a 9P/virtiofs device (the default), or 9P over the guest link (Hyper-V: vm/linkShares.ts). */
  readonly sharesOver?: 'device' | 'link';
  /** Whether the VmConfig's hostForwards (QEMU user networking) apply. */
  readonly hostForwards: boolean;
  /** Throws HostProblem when this host cannot run the driver (binary missing, Hyper-V off, …). */
  checkHost(): Promise<void>;
  /** A VM of this driver left on our disk by an earlier berthd that was not re-adopted is stopped: never two VMs on one disk. */
  clearLeftover(): Promise<void>;
  /** Creates the data disk or grows it to `sizeBytes` (never shrinks it); says what it did, for the log. */
  ensureDisk(sizeBytes: number): Promise<string | undefined>;
  /** Starts the VM. Resolves once the driver has it running (its console then follows the boot). */
  start(config: VmConfig): Promise<VmProcess>;
  /** Takes over the VM an earlier berthd left running, or says why there is none to take. */
  adopt(): Promise<Adoption>;
  /** Where berthd connects for the guest link: a unix socket, or a named pipe on Windows. */
  linkEndpoint(): string;
  /** What the data disk takes on the host now (bytes), when the driver can tell. */
  diskAllocatedBytes(): number | undefined;
}
