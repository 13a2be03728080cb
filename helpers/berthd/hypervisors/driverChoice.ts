// Which driver runs the VM: the `driver` setting (QEMU by default, on every OS; HyperKit on Intel Macs
// and Hyper-V on Windows when chosen), and the runtime the VM manager drives for it.
import { driverProblemOn, type Settings } from '../../api/settings.ts';
import type { BerthPaths } from '../paths.ts';
import { HostProblem, type DriverRuntime } from './driver.ts';
import { hyperkitDriver, type HyperkitDriverOptions } from './hyperkitDriver.ts';
import { hypervDriver, type HypervDriverOptions } from './hypervDriver.ts';
import type { GuestShutdown } from './hyperkitProcess.ts';
import { qemuDriver } from './qemuDriver.ts';

export type DriverHost = { platform: string; arch: string };

/** The driver to run and why, or why it cannot run on this host (pure). */
export function chooseDriver(setting: Settings['driver'], host: DriverHost): { ok: true; driver: Settings['driver']; why: string } | { ok: false; problem: HostProblem } {
  const problem = driverProblemOn(setting, host);
  if (problem) return { ok: false, problem: new HostProblem(problem, 'berth settings set driver=qemu (QEMU runs on every OS)') };
  if (setting === 'qemu') return { ok: true, driver: 'qemu', why: 'QEMU, the default on every OS' };
  return { ok: true, driver: setting, why: `driver ${setting} is set in settings` };
}

/** What every runtime needs, and per-driver overrides (tests run HyperKit and Hyper-V against fakes). */
export type DriverContext = {
  paths: BerthPaths;
  log: (m: string) => void;
  imageDir: string;
  /** berth-agent's shutdown RPC over the guest link: HyperKit's graceful stop. */
  guestShutdown: GuestShutdown;
  /** A helper process the driver supervises (Hyper-V's link bridge) is down and restarting (why), or serves again (undefined). */
  helperState?: (helper: string, trouble: string | undefined) => void;
  hyperkit?: Partial<HyperkitDriverOptions>;
  hyperv?: Partial<HypervDriverOptions>;
};

export function driverRuntime(name: Settings['driver'], ctx: DriverContext): DriverRuntime {
  switch (name) {
    case 'qemu':
      return qemuDriver({ paths: ctx.paths, log: ctx.log, imageDir: ctx.imageDir });
    case 'hyperkit':
      return hyperkitDriver({ paths: ctx.paths, log: ctx.log, guestShutdown: ctx.guestShutdown, ...ctx.hyperkit });
    case 'hyperv':
      return hypervDriver({ paths: ctx.paths, log: ctx.log, imageDir: ctx.imageDir, helperState: ctx.helperState, ...ctx.hyperv });
  }
}
