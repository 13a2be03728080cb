// Owns: the tray menu as Electron's MenuItemConstructorOptions, built from a TrayModel.
// Click handlers are injected, so this stays a pure function; it imports Electron's types only.
import type { MenuItemConstructorOptions } from 'electron';
import type { TrayItemId, TrayModel } from './trayModel.ts';

/** One callback per menu item; the shell wires them to berthd calls and windows. */
export type TrayActions = Readonly<Record<TrayItemId, () => void>>;

/** Where separators go: status line | lifecycle | windows | quit. */
const groups: readonly (readonly TrayItemId[])[] = [['start', 'stop', 'restart'], ['dashboard', 'settings', 'troubleshoot'], ['quit']];

export function menuTemplate(model: TrayModel, actions: TrayActions): MenuItemConstructorOptions[] {
  const byId = new Map(model.items.map((item) => [item.id, item]));
  const menu: MenuItemConstructorOptions[] = [{ id: 'status', label: model.statusLine, enabled: false }];
  for (const group of groups) {
    menu.push({ type: 'separator' });
    for (const id of group) {
      const item = byId.get(id);
      if (item === undefined) continue;
      menu.push({ id, label: item.label, enabled: item.enabled, click: () => actions[id]() });
    }
  }
  return menu;
}
