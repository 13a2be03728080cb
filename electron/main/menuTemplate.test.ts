// Tests: the tray menu's order, separators, enabled flags and injected click handlers.
// No Electron binary: the template is plain data checked against Electron's types at compile time.
import { describe, expect, it, vi } from 'vitest';
import { menuTemplate, type TrayActions } from './menuTemplate.ts';
import { trayModel } from './trayModel.ts';

function fakeActions(): TrayActions & Record<string, ReturnType<typeof vi.fn>> {
  return {
    start: vi.fn(),
    stop: vi.fn(),
    restart: vi.fn(),
    dashboard: vi.fn(),
    settings: vi.fn(),
    troubleshoot: vi.fn(),
    quit: vi.fn(),
  };
}

describe('menuTemplate', () => {
  it('status line first and disabled, then the groups with separators', () => {
    const menu = menuTemplate(trayModel(undefined), fakeActions());
    expect(menu.map((m) => m.type ?? m.id)).toEqual([
      'status',
      'separator',
      'start',
      'stop',
      'restart',
      'separator',
      'dashboard',
      'settings',
      'troubleshoot',
      'separator',
      'quit',
    ]);
    expect(menu[0]).toMatchObject({ label: 'berthd not running', enabled: false });
  });

  it('carries enabled flags from the model', () => {
    const menu = menuTemplate(trayModel(undefined), fakeActions());
    const flags = Object.fromEntries(menu.filter((m) => m.type !== 'separator').map((m) => [m.id, m.enabled]));
    expect(flags).toMatchObject({ start: true, stop: false, restart: false, quit: true });
  });

  it('each click calls its own callback only', () => {
    const actions = fakeActions();
    const menu = menuTemplate(trayModel(undefined), actions);
    const stop = menu.find((m) => m.id === 'stop');
    const click = stop?.click as (() => void) | undefined;
    click?.();
    expect(actions.stop).toHaveBeenCalledTimes(1);
    expect(actions.start).not.toHaveBeenCalled();
    expect(actions.quit).not.toHaveBeenCalled();
  });
});
