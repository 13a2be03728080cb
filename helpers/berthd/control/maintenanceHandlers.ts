// Owns: the control API's maintenance routes — doctor (checks with fixes), factory reset (plan, then
// stop the VM and delete only Berth's own files: T-22) and disk reclaim (fstrim in the guest).
import type { DoctorReport } from '../../api/diagnostics.ts';
import { runDoctor } from '../diagnostics/doctorFacts.ts';
import type { BerthPaths } from '../paths.ts';
import type { SettingsService } from '../settings/settingsService.ts';
import { performReset, planReset } from '../vm/factoryReset.ts';
import { StartFailure, type VmManager } from '../vm/vmManager.ts';
import { HttpError } from './controlServer.ts';

export function maintenanceHandlers(paths: BerthPaths, settings: SettingsService, manager: VmManager) {
  return {
    doctor: async (): Promise<DoctorReport> => {
      // Measured now (and corrected if off): a value cached up to 30 s ago could be stale either way.
      const clock = manager.state.state === 'running' ? ((await manager.health.checkClock('berth doctor')) ?? manager.health.clock) : undefined;
      return runDoctor(paths, {
        settings: settings.health(),
        vm: manager.state,
        accelSetting: settings.get().accel,
        ...(clock ? { guestClockDriftSeconds: clock.driftMs / 1000 } : {}),
      });
    },
    resetPlan: async (body: unknown) => planReset(paths, body as { includeSettings: boolean }),
    reset: async (body: unknown) => {
      const opts = body as { includeSettings: boolean };
      // The VM goes first: its disk and pid file must not vanish under a running QEMU.
      const stopped = await manager.stop(30);
      const plan = planReset(paths, opts);
      const result = performReset(plan, paths);
      if (opts.includeSettings) settings.reload();
      return { plan, result, stopped: stopped.message };
    },
    diskReclaim: async () => {
      try {
        return await manager.reclaimDisk();
      } catch (e) {
        throw new HttpError(e instanceof StartFailure ? 409 : 500, { code: 'reclaim-failed', message: (e as Error).message, hint: e instanceof StartFailure ? e.hint : 'see berthd.log in $BERTH_HOME/logs' });
      }
    },
  };
}
