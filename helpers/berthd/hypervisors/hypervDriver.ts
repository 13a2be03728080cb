// The Hyper-V driver (Windows): HypervVm behind the driver interface — the host check and the one
// elevated registration of the link's service GUID, the VHDX, the config VHD, the boot ISO, and
// hvsock-bridge, which gives berthd the guest link on a named pipe (Node cannot open AF_HYPERV sockets),
// supervised while the VM runs (T-26: restarted with the same argv if it dies; berthd's link then reconnects).
import { randomUUID } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { SupervisedProcess } from '../host/supervisedProcess.ts';
import type { BerthPaths } from '../paths.ts';
import { HostProblem, type Adoption, type DriverRuntime, type VmProcess } from './driver.ts';
import { hypervCheck, type HypervFacts } from './driverDoctor.ts';
import { helperBinary } from './helperBinaries.ts';
import { fixedVhd } from './fixedVhd.ts';
import { linkKernelParams } from './guestLinkParams.ts';
import { HYPERV_BOOT_ISO, mediumManifestPath, mediumMismatch, type ImageManifest, type MediumManifest } from './hypervBootMedium.ts';
import { bridgeArgv, linkBridgeArgv } from './hvsockBridgeArgs.ts';
import { elevatedScript, hostFactsScript, HVSOCK_REGISTRATION_WHY, registerServiceScript, serviceRegisteredScript, stateScript, turnOffScript, type HypervVmSpec } from './hypervScripts.ts';
import { hypervStateSchema, HypervVm } from './hypervVm.ts';
import { powershellRunner, type PowerShellRun } from './powershellRunner.ts';
import { EXIT_WITH_BERTHD } from './windowsDockerPipe.ts';
import type { VmConfig } from './vmConfig.ts';

/** Hyper-V's names and files for Berth's VM (pure: from BerthPaths and the image folder). */
export function hypervFiles(paths: BerthPaths, imageDir: string): { vmName: string; vmDir: string; dataDisk: string; configDisk: string; bootIso: string; consolePipe: string; linkPipe: string; bridgeLog: string } {
  return {
    vmName: 'berth',
    vmDir: join(paths.vmDir, 'hyperv'),
    dataDisk: join(paths.vmDir, 'data.vhdx'),
    // The config tar (paths.configDisk) as a fixed VHD: Hyper-V attaches only VHD and VHDX files.
    configDisk: join(paths.vmDir, 'config.vhd'),
    // Built with the image (vm-images/builder/efiBootMedium.ts): our kernel, initrd and command line as one EFI program.
    bootIso: join(imageDir, HYPERV_BOOT_ISO),
    consolePipe: '\\\\.\\pipe\\berth_console',
    linkPipe: '\\\\.\\pipe\\berth_link',
    bridgeLog: join(paths.logsDir, 'hvsock-bridge.log'),
  };
}

/** Where hvsock-bridge.exe is: BERTH_HVSOCK_BRIDGE, else resources/berthd/bin in the app (dist/bin/win32-<arch> in a build). */
export function hvsockBridgePath(env: NodeJS.ProcessEnv = process.env): string {
  return helperBinary('hvsock-bridge', { env, platform: 'win32' });
}

/** Why the boot ISO does not fit the image beside it (hyperv-boot.json against manifest.json), or undefined. */
export function mediumProblem(iso: string, imageDir: string): string | undefined {
  try {
    const medium = JSON.parse(readFileSync(mediumManifestPath(iso), 'utf8')) as MediumManifest;
    const image = JSON.parse(readFileSync(join(imageDir, 'manifest.json'), 'utf8')) as ImageManifest;
    return mediumMismatch(medium, image);
  } catch (e) {
    return `the Hyper-V boot medium's manifest cannot be read (${(e as Error).message})`;
  }
}

export type HypervDriverOptions = {
  paths: BerthPaths;
  log: (m: string) => void;
  imageDir: string;
  ps?: PowerShellRun;
  bridgeBinary?: string;
  pollMs?: number;
  /** The host as Node names it; Hyper-V runs only on win32 (tests of the fake pass Linux as such). */
  host?: { platform: string };
  /** The link bridge, down and being started again (T-26), says why here; undefined once it listens again. */
  helperState?: (helper: string, trouble: string | undefined) => void;
  /**
   * Tests on Linux: unix sockets standing in for COM1's pipe, the link's pipe (the bridge listens there)
   * and the VM's Hyper-V socket (the bridge dials the agent's unix socket instead); PowerShell is told
   * Windows paths for the VM's files.
   */
  standIns?: { consolePipe: string; linkPipe: string; agentSocket: string };
};

/** The VM's files as the fake PowerShell is told them when unix sockets stand in (HypervDriverOptions.standIns). */
const STAND_IN_VM_PATHS = { vmDir: 'C:\\BerthStandIn\\vm\\hyperv', dataDisk: 'C:\\BerthStandIn\\vm\\data.vhdx', configDisk: 'C:\\BerthStandIn\\vm\\config.vhd', bootIso: 'C:\\BerthStandIn\\image\\hyperv-boot.iso' };

/** The guest link bridge's name in logs and in `status`. */
export const LINK_BRIDGE = 'hvsock-bridge for the guest link';

/** A Hyper-V VM whose power-off first ends the link bridge's supervision and the bridge: nothing restarts it while the VM stops. */
function withBridge(vm: HypervVm, bridge: SupervisedProcess): VmProcess {
  return {
    get pid() {
      return vm.pid;
    },
    get running() {
      return vm.running;
    },
    exited: vm.exited,
    console: vm.console,
    powerdown: async (timeoutMs) => {
      await bridge.stop();
      return vm.powerdown(timeoutMs);
    },
    kill: async () => {
      await bridge.stop();
      return vm.kill();
    },
  };
}

/** An empty tar (two zero blocks): the guest then runs on its defaults. */
const EMPTY_TAR = Buffer.alloc(1024);

/**
 * Write the config VHD from the config tar berthd made (VmConfig.configDisk), or an empty one: the boot
 * medium's command line always names it. Written in place, never replaced by a rename: the file keeps
 * the access Hyper-V granted the VM when it attached it.
 */
export function writeConfigVhd(vhd: string, configTar: string | undefined): void {
  const tar = configTar ? readFileSync(configTar) : EMPTY_TAR;
  writeFileSync(vhd, fixedVhd(tar, { uuid: randomUUID(), now: new Date() }), { mode: 0o600 });
}

/** Hyper-V takes memory in even MiB: the setting's MiB rounded down to even. */
export function hypervMemoryMiB(memoryMiB: number): number {
  return Math.max(512, memoryMiB - (memoryMiB % 2));
}

export function hypervDriver(o: HypervDriverOptions): DriverRuntime {
  const f = { ...hypervFiles(o.paths, o.imageDir), ...(o.standIns ? { linkPipe: o.standIns.linkPipe } : {}) };
  // Stand-ins: PowerShell (the fake) is told Windows paths, as on Windows; the files berthd itself reads and writes stay where they are.
  const vmPaths = o.standIns ? STAND_IN_VM_PATHS : f;
  const consoleEndpoint = o.standIns?.consolePipe;
  const ps = o.ps ?? powershellRunner();
  const bridgeBinary = o.bridgeBinary ?? hvsockBridgePath();
  let diskBytes = 0;
  let bridge: SupervisedProcess | undefined;
  const spec = (c: Pick<VmConfig, 'cpus' | 'memoryMiB'>): HypervVmSpec => ({
    name: f.vmName, vmDir: vmPaths.vmDir, cpus: c.cpus, memoryMiB: hypervMemoryMiB(c.memoryMiB), dataDisk: vmPaths.dataDisk, configDisk: vmPaths.configDisk, bootIso: vmPaths.bootIso, consolePipe: f.consolePipe, switchName: 'Default Switch',
  });

  /**
   * The bridge lives as long as the VM (it dials the VM's id, which Hyper-V gives at creation), supervised:
   * restarted with the same argv if it exits while the VM runs. Resolves once it listens; a bridge that
   * cannot start turns the VM off again and fails the start.
   */
  const startBridge = async (vm: HypervVm): Promise<VmProcess> => {
    await bridge?.stop();
    const id = vm.last.id;
    if (!id) throw new HostProblem('Hyper-V did not say the VM\'s id, which the guest link needs', 'see the Hyper-V Manager; berth stop, then berth start');
    const argv = o.standIns ? bridgeArgv({ listen: { kind: 'unix', path: f.linkPipe }, dial: { kind: 'unix', path: o.standIns.agentSocket } }) : linkBridgeArgv(f.linkPipe, id);
    const listen = argv[1]!;
    const b = new SupervisedProcess({
      name: LINK_BRIDGE,
      binary: bridgeBinary,
      // It ends with berthd (also a killed one), so a re-adopting berthd can take the link's pipe name.
      argv: [...argv, EXIT_WITH_BERTHD],
      stdinLifeline: true,
      log: o.log,
      onLine: (line) => o.log(`link bridge: ${line}`),
      readyLine: (line) => line.startsWith(`hvsock-bridge: ${listen} -> `),
      onTrouble: (why) => o.helperState?.(LINK_BRIDGE, why),
    });
    bridge = b;
    void vm.exited.then(() => b.stop());
    try {
      await b.start();
    } catch (e) {
      await b.stop();
      await vm.kill();
      throw new HostProblem(`the guest link cannot be reached: ${(e as Error).message}`, `reinstall Berth, or set BERTH_HVSOCK_BRIDGE to the built hvsock-bridge.exe; see ${o.paths.berthdLog}`);
    }
    return withBridge(vm, b);
  };

  return {
    name: 'hyperv',
    label: 'Hyper-V',
    diskFormat: 'vhdx',
    linkKernelParams: linkKernelParams('hyperv'),
    hostAcpi: true,
    dataDisk: f.dataDisk,
    fixedAccel: { accel: 'whpx', why: 'Hyper-V runs the VM on the Windows hypervisor itself' },
    // No 9P device on Hyper-V: berth-ninep-server's 9P goes over the guest link (vm/linkShares.ts).
    sharesSupported: true,
    sharesOver: 'link',
    hostForwards: false,

    async checkHost() {
      if ((o.host?.platform ?? process.platform) !== 'win32') throw new HostProblem('Hyper-V runs only on Windows', 'berth settings set driver=qemu');
      const facts = (await ps(hostFactsScript())) as HypervFacts;
      const check = hypervCheck(facts);
      if (check.status !== 'ok') throw new HostProblem(check.detail, check.fix ?? 'berth settings set driver=qemu');
      if (!existsSync(f.bootIso)) throw new HostProblem(`the Hyper-V boot medium ${f.bootIso} is missing`, 'reinstall Berth, or build it: npm run vm:build-hyperv');
      const why = mediumProblem(f.bootIso, o.imageDir);
      if (why) throw new HostProblem(why, 'rebuild it from this image: npm run vm:build-hyperv (or reinstall Berth)');
      if (!existsSync(bridgeBinary)) throw new HostProblem(`hvsock-bridge (${bridgeBinary}) is missing; Berth reaches its Hyper-V VM through it`, 'reinstall Berth, or set BERTH_HVSOCK_BRIDGE to the built hvsock-bridge.exe');
      const reg = (await ps(serviceRegisteredScript())) as { registered?: boolean };
      if (reg.registered) return;
      o.log(`asking for an administrator once: ${HVSOCK_REGISTRATION_WHY}`);
      const r = (await ps(elevatedScript(registerServiceScript()))) as { exitCode?: number };
      const again = (await ps(serviceRegisteredScript())) as { registered?: boolean };
      if (!again.registered) {
        throw new HostProblem(`the guest link's Hyper-V service was not registered (the elevated step ended with ${r.exitCode ?? 'no exit code'})`, `${HVSOCK_REGISTRATION_WHY} Accept the administrator prompt on the next berth start, or use driver qemu.`);
      }
    },

    /** A running VM that was not re-adopted is turned off: its disk is ours. */
    async clearLeftover() {
      const s = hypervStateSchema.parse(await ps(stateScript(f.vmName)));
      if (s.state !== 'Running') return;
      o.log(`the Hyper-V VM ${f.vmName} from an earlier berthd still runs; turning it off`);
      await ps(turnOffScript(f.vmName));
    },

    /** HypervVm.start creates or grows the VHDX (never shrinks it) with this size. */
    ensureDisk(sizeBytes) {
      diskBytes = sizeBytes;
      return Promise.resolve(undefined);
    },

    async start(config): Promise<VmProcess> {
      const vm = await HypervVm.start(ps, spec(config), { consoleLog: config.consoleLog, consoleEndpoint, diskBytes, pollMs: o.pollMs, writeConfigDisk: () => writeConfigVhd(f.configDisk, config.configDisk) });
      return startBridge(vm);
    },

    async adopt(): Promise<Adoption> {
      const s = hypervStateSchema.parse(await ps(stateScript(f.vmName)));
      if (s.state !== 'Running') return { kind: 'none', why: `the Hyper-V VM ${f.vmName} is ${s.state}` };
      const vm = await HypervVm.adopt(ps, spec({ cpus: s.cpus ?? 1, memoryMiB: Math.floor((s.memoryBytes ?? 0) / 2 ** 20) }), { consoleLog: o.paths.consoleLog, consoleEndpoint, diskBytes, pollMs: o.pollMs });
      if (!vm) return { kind: 'none', why: `the Hyper-V VM ${f.vmName} stopped` };
      o.log(`re-adopting the Hyper-V VM ${f.vmName} an earlier berthd started (up ${s.uptimeSeconds ?? 0} s)`);
      return {
        kind: 'adopt',
        adopted: { vm: await startBridge(vm), startedAt: Date.now() - (s.uptimeSeconds ?? 0) * 1000, ...(s.cpus ? { cpus: s.cpus } : {}), ...(s.memoryBytes ? { memoryMiB: Math.floor(s.memoryBytes / 2 ** 20) } : {}) },
      };
    },

    linkEndpoint: () => f.linkPipe,
    diskAllocatedBytes: () => {
      try {
        return statSync(f.dataDisk).size;
      } catch {
        return undefined;
      }
    },
  };
}
