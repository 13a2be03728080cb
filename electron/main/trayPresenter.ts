// Owns: keeping the tray equal to berthd's status — rebuilt (icon, tooltip, menu) on every `state`
// event and status answer, the status refetched when the VM changes state (for resources, Docker version).
import type { MenuItemConstructorOptions } from 'electron';
import type { ApiEvent } from '../../helpers/api/controlApi.ts';
import type { Status } from '../../helpers/api/vmState.ts';
import { menuTemplate, type TrayActions } from './menuTemplate.ts';
import { trayModel, type TrayIcon } from './trayModel.ts';

/** What the presenter draws on; main.ts backs it with Electron's Tray, tests with a fake. */
export interface TrayView {
  setIcon(icon: TrayIcon): void;
  setToolTip(text: string): void;
  setMenu(template: MenuItemConstructorOptions[]): void;
}

/**
 * The status after an event: a `state` event replaces the VM's state at once; `refresh` says the rest
 * of the status (resources, Docker version, pid) is stale because the VM changed state.
 */
export function statusAfterEvent(before: Status | undefined, event: ApiEvent): { status: Status | undefined; refresh: boolean } {
  if (event.type !== 'state') return { status: before, refresh: false };
  if (before === undefined) return { status: undefined, refresh: true };
  const changed = before.vm.state !== event.vm.state;
  const status: Status = { ...before, state: event.vm.state, vm: event.vm };
  if (changed && event.vm.state !== 'running') {
    // What described the running VM no longer holds.
    delete status.resources;
    delete status.dockerVersion;
    delete status.uptimeSeconds;
  }
  return { status, refresh: changed };
}

export class TrayPresenter {
  private current: Status | undefined;

  constructor(
    private readonly view: TrayView,
    private readonly actions: TrayActions,
  ) {}

  get status(): Status | undefined {
    return this.current;
  }

  /** Draws the tray for `status` (undefined: berthd does not answer). */
  show(status: Status | undefined): void {
    this.current = status;
    const model = trayModel(status);
    this.view.setIcon(model.icon);
    this.view.setToolTip(model.tooltip);
    this.view.setMenu(menuTemplate(model, this.actions));
  }

  /** An event from berthd: a `state` event redraws; `refresh` is asked for when the status went stale. */
  onEvent(event: ApiEvent, refresh: () => void): void {
    if (event.type !== 'state') return;
    const next = statusAfterEvent(this.current, event);
    this.show(next.status);
    if (next.refresh) refresh();
  }
}
