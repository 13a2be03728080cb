// Owns: the control API's settings routes — read settings with this host's limits, change them
// (validated, saved, and with `apply` the VM restarted when a changed setting needs it).
import type { SettingsChangeResult, SettingsView } from '../../api/controlApi.ts';
import type { Status } from '../../api/vmState.ts';
import { SettingsSaveError } from '../settings/settingsStore.ts';
import { SettingsRejected, type SettingsService } from '../settings/settingsService.ts';
import type { VmManager } from '../vm/vmManager.ts';
import { HttpError } from './controlServer.ts';

export function settingsHandlers(settings: SettingsService, manager: VmManager, restart: (timeoutSeconds: number) => Promise<Status>) {
  return {
    settingsGet: async (): Promise<SettingsView> => ({
      settings: settings.get(),
      limits: settings.limits(),
      restartPending: settings.pendingFor(manager.applied),
      readOnly: settings.readOnly,
    }),
    settingsSet: async (body: unknown): Promise<SettingsChangeResult> => {
      const { change, apply } = body as { change: Record<string, unknown>; apply: boolean };
      let result;
      try {
        result = settings.change(change);
      } catch (e) {
        if (e instanceof SettingsRejected) {
          throw new HttpError(400, { code: 'invalid-settings', message: e.message, hint: 'nothing was changed; correct the value and try again (`berth settings get` shows the current ones)' });
        }
        if (e instanceof SettingsSaveError) throw new HttpError(409, { code: 'settings-not-saved', message: e.message, hint: 'nothing was changed' });
        throw e;
      }
      const running = manager.state.state === 'running';
      // The bind address applies live: re-place every published port on the new address.
      if (running && result.changed.includes('ports.bindAddress')) await manager.ports.refresh();
      const pending = settings.pendingFor(manager.applied);
      let restarted = false;
      if (apply && running && pending.length > 0) {
        await restart(30);
        restarted = true;
      }
      const message =
        result.changed.length === 0
          ? 'nothing changed'
          : restarted
            ? `saved; the VM restarted to apply ${pending.join(', ')}`
            : pending.length > 0 && running
              ? `saved; ${pending.join(', ')} take${pending.length === 1 ? 's' : ''} effect when the VM restarts (\`berth restart\`, or set again with --apply)`
              : running
                ? 'saved; in effect now'
                : 'saved; used when the VM next starts';
      return { ...result, restarted, message };
    },
  };
}
