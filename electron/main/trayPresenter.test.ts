// Tests: the tray rebuilt on each state event against a fake Tray view: icon, tooltip and menu follow
// the VM through start → running → stop, and a status refetch is asked for when the state changes.
import { describe, expect, it, vi } from 'vitest';
import type { MenuItemConstructorOptions } from 'electron';
import type { ApiEvent } from '../../helpers/api/controlApi.ts';
import { statusSchema, type Status, type VmState } from '../../helpers/api/vmState.ts';
import type { TrayActions } from './menuTemplate.ts';
import { statusAfterEvent, TrayPresenter, type TrayView } from './trayPresenter.ts';

const GiB = 1024 ** 3;
const stopped: Status = statusSchema.parse({
  state: 'stopped',
  vm: { state: 'stopped' },
  dockerSocket: '/h/run/docker.sock',
  berthdPid: 7,
  berthHome: '/h',
  settings: { path: '/h/settings.json', status: 'ok', notes: [] },
});
const running: Status = { ...stopped, state: 'running', vm: { state: 'running', degraded: [], since: 1 }, resources: { cpus: 2, memoryBytes: 4 * GiB, diskBytes: 64 * GiB }, dockerVersion: '20.10.24' };
const stateEvent = (vm: VmState): ApiEvent => ({ type: 'state', vm });

function fakeTray() {
  const drawn: { icon: string; tooltip: string; menu: MenuItemConstructorOptions[] }[] = [];
  let icon = '';
  let tooltip = '';
  const view: TrayView = {
    setIcon: (i) => void (icon = i),
    setToolTip: (t) => void (tooltip = t),
    setMenu: (menu) => void drawn.push({ icon, tooltip, menu }),
  };
  const last = () => drawn[drawn.length - 1];
  const enabled = () => Object.fromEntries((last()?.menu ?? []).filter((m) => m.id && m.id !== 'status').map((m) => [m.id, m.enabled]));
  return { view, drawn, last, enabled };
}
const actions = Object.fromEntries(['start', 'stop', 'restart', 'dashboard', 'settings', 'troubleshoot', 'quit'].map((k) => [k, vi.fn()])) as unknown as TrayActions;

describe('TrayPresenter (fake Tray)', () => {
  it('berthd away: stopped icon, "berthd not running", Start enabled', () => {
    const t = fakeTray();
    new TrayPresenter(t.view, actions).show(undefined);
    expect(t.last()).toMatchObject({ icon: 'stopped', menu: expect.arrayContaining([expect.objectContaining({ id: 'status', label: 'berthd not running' })]) });
    expect(t.enabled()).toMatchObject({ start: true, stop: false, restart: false });
  });

  it('rebuilds on each state event: starting → running → stopping → stopped', () => {
    const t = fakeTray();
    const p = new TrayPresenter(t.view, actions);
    const refresh = vi.fn();
    p.show(stopped);
    p.onEvent(stateEvent({ state: 'starting', phase: 'booting', progress: 0.5, since: 1 }), refresh);
    expect(t.last()).toMatchObject({ icon: 'starting', tooltip: 'Berth: Starting · booting 50%' });
    expect(t.enabled()).toMatchObject({ start: false, stop: true, restart: false });
    p.onEvent(stateEvent({ state: 'starting', phase: 'waiting for docker', progress: 0.9, since: 1 }), refresh);
    expect(t.last()?.tooltip).toBe('Berth: Starting · waiting for docker 90%');
    p.show(running); // the refetched status
    expect(t.last()).toMatchObject({ icon: 'running', tooltip: 'Berth: Running · 2 CPUs · 4 GiB · Docker 20.10.24' });
    expect(t.enabled()).toMatchObject({ start: false, stop: true, restart: true });
    p.onEvent(stateEvent({ state: 'running', degraded: [{ what: 'port', message: 'port 8080 is held by nginx' }], since: 1 }), refresh);
    expect(t.last()?.icon).toBe('degraded');
    p.onEvent(stateEvent({ state: 'stopping', since: 2 }), refresh);
    p.onEvent(stateEvent({ state: 'stopped' }), refresh);
    expect(t.last()).toMatchObject({ icon: 'stopped', tooltip: 'Berth: Stopped' });
    expect(t.drawn).toHaveLength(7);
    // A refetch per change of state (starting, stopping, stopped), none for progress or degradation.
    expect(refresh).toHaveBeenCalledTimes(3);
  });

  it('an error state shows the error icon and its reason; Start and Stop (clears it) enabled', () => {
    const t = fakeTray();
    const p = new TrayPresenter(t.view, actions);
    p.show(stopped);
    p.onEvent(stateEvent({ state: 'error', reason: 'QEMU exited', hint: 'run berth doctor', lastLog: [] }), () => {});
    expect(t.last()).toMatchObject({ icon: 'error', tooltip: 'Berth: Error · QEMU exited\nrun berth doctor' });
    expect(t.enabled()).toMatchObject({ start: true, stop: true, restart: false });
  });

  it('other events do not redraw', () => {
    const t = fakeTray();
    const p = new TrayPresenter(t.view, actions);
    p.show(stopped);
    p.onEvent({ type: 'log', source: 'berthd', line: 'x' }, () => {});
    p.onEvent({ type: 'ports', forwards: [] }, () => {});
    expect(t.drawn).toHaveLength(1);
  });

  it('menu clicks reach the injected actions', () => {
    const t = fakeTray();
    new TrayPresenter(t.view, actions).show(stopped);
    const start = t.last()?.menu.find((m) => m.id === 'start');
    (start?.click as () => void)();
    expect(actions.start).toHaveBeenCalledTimes(1);
  });
});

describe('statusAfterEvent', () => {
  it('drops what described the running VM once it leaves running', () => {
    const { status, refresh } = statusAfterEvent(running, stateEvent({ state: 'stopping', since: 3 }));
    expect(refresh).toBe(true);
    expect(status).toMatchObject({ state: 'stopping', vm: { state: 'stopping' } });
    expect(status?.resources).toBeUndefined();
    expect(status?.dockerVersion).toBeUndefined();
    expect(running.resources).toBeDefined(); // the old status is not changed
  });

  it('without a status yet, asks for one', () => {
    expect(statusAfterEvent(undefined, stateEvent({ state: 'stopped' }))).toEqual({ status: undefined, refresh: true });
  });
});
