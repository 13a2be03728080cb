// Tests: the tray model for every VM state, and for berthd not answering.
// Statuses are parsed with the shared schema, so a fixture that drifts from the contract fails here.
import { describe, expect, it } from 'vitest';
import { statusSchema, type Status, type VmState } from '../../helpers/api/vmState.ts';
import { STATUS_LINE_MAX, TOOLTIP_MAX, formatMemory, trayItemIds, trayModel, type TrayModel } from './trayModel.ts';

const GiB = 1024 ** 3;

function status(vm: VmState, extra: Partial<Status> = {}): Status {
  return statusSchema.parse({
    state: vm.state,
    vm,
    dockerSocket: '/home/u/.berth/run/docker.sock',
    berthdPid: 42,
    berthHome: '/home/u/.berth',
    settings: { path: '/home/u/.berth/settings.json', status: 'ok', notes: [] },
    ...extra,
  });
}

function enabled(model: TrayModel): Record<string, boolean> {
  return Object.fromEntries(model.items.map((i) => [i.id, i.enabled]));
}

const always = { dashboard: true, settings: true, troubleshoot: true, quit: true };

describe('trayModel', () => {
  it('berthd not answering: stopped icon, Start only', () => {
    const m = trayModel(undefined);
    expect(m.icon).toBe('stopped');
    expect(m.statusLine).toBe('berthd not running');
    expect(m.tooltip).toContain('berthd not running');
    expect(enabled(m)).toEqual({ start: true, stop: false, restart: false, ...always });
  });

  it('stopped: Start only, last exit in the tooltip', () => {
    const m = trayModel(status({ state: 'stopped', lastExit: 'powered off by the guest' }));
    expect(m.icon).toBe('stopped');
    expect(m.statusLine).toBe('Stopped');
    expect(m.tooltip).toBe('Berth: Stopped\nLast exit: powered off by the guest');
    expect(enabled(m)).toEqual({ start: true, stop: false, restart: false, ...always });
  });

  it('starting: phase and progress, Stop cancels', () => {
    const m = trayModel(status({ state: 'starting', phase: 'booting', progress: 0.4, since: 1 }));
    expect(m.icon).toBe('starting');
    expect(m.statusLine).toBe('Starting · booting 40%');
    expect(enabled(m)).toEqual({ start: false, stop: true, restart: false, ...always });
  });

  it('running: resources and Docker version, Stop and Restart', () => {
    const m = trayModel(
      status(
        { state: 'running', degraded: [], since: 1 },
        { resources: { cpus: 2, memoryBytes: 2 * GiB, diskBytes: 64 * GiB }, dockerVersion: '20.10.24' },
      ),
    );
    expect(m.icon).toBe('running');
    expect(m.statusLine).toBe('Running · 2 CPUs · 2 GiB · Docker 20.10.24');
    expect(enabled(m)).toEqual({ start: false, stop: true, restart: true, ...always });
  });

  it('running without resources or version yet, and with a pending restart', () => {
    const m = trayModel(status({ state: 'running', degraded: [], since: 1 }, { restartPending: ['memory', 'cpus'] }));
    expect(m.statusLine).toBe('Running');
    expect(m.tooltip).toBe('Berth: Running\nRestart to apply: memory, cpus');
  });

  it('one CPU is singular', () => {
    const m = trayModel(
      status({ state: 'running', degraded: [], since: 1 }, { resources: { cpus: 1, memoryBytes: 1.5 * GiB, diskBytes: GiB } }),
    );
    expect(m.statusLine).toBe('Running · 1 CPU · 1.5 GiB');
  });

  it('degraded: the first reason on the status line, the count of the others', () => {
    const m = trayModel(
      status(
        {
          state: 'running',
          degraded: [
            { what: 'port', message: 'port 8080 held by nginx' },
            { what: 'clock', message: 'guest clock 3 s behind' },
          ],
          since: 1,
        },
        { resources: { cpus: 2, memoryBytes: 2 * GiB, diskBytes: GiB }, dockerVersion: '20.10.24' },
      ),
    );
    expect(m.icon).toBe('degraded');
    expect(m.statusLine).toBe('Degraded · port 8080 held by nginx (+1 more)');
    expect(m.tooltip).toContain('Running · 2 CPUs · 2 GiB · Docker 20.10.24');
    expect(enabled(m)).toEqual({ start: false, stop: true, restart: true, ...always });
  });

  it('stopping: nothing to start or stop until it settles', () => {
    const m = trayModel(status({ state: 'stopping', since: 1 }));
    expect(m.icon).toBe('starting');
    expect(m.statusLine).toBe('Stopping…');
    expect(enabled(m)).toEqual({ start: false, stop: false, restart: false, ...always });
  });

  it('error: reason on one line, hint in the tooltip, Start retries and Stop clears', () => {
    const m = trayModel(
      status({ state: 'error', reason: 'QEMU exited\nat once', hint: 'Run berth doctor', lastLog: ['x'] }),
    );
    expect(m.icon).toBe('error');
    expect(m.statusLine).toBe('Error · QEMU exited at once');
    expect(m.tooltip).toBe('Berth: Error · QEMU exited at once\nRun berth doctor');
    expect(enabled(m)).toEqual({ start: true, stop: true, restart: false, ...always });
  });

  it('long texts are clipped to what menus and tooltips show', () => {
    const long = 'x'.repeat(500);
    const m = trayModel(status({ state: 'error', reason: long, hint: long, lastLog: [] }));
    expect(m.statusLine.length).toBe(STATUS_LINE_MAX);
    expect(m.statusLine.endsWith('…')).toBe(true);
    expect(m.tooltip.length).toBe(TOOLTIP_MAX);
  });

  it('items always come in menu order with labels', () => {
    const m = trayModel(undefined);
    expect(m.items.map((i) => i.id)).toEqual([...trayItemIds]);
    expect(m.items.every((i) => i.label.length > 0)).toBe(true);
  });
});

describe('formatMemory', () => {
  it.each([
    [2 * GiB, '2 GiB'],
    [1.5 * GiB, '1.5 GiB'],
    [512 * 1024 ** 2, '512 MiB'],
  ])('%d bytes → %s', (bytes, text) => {
    expect(formatMemory(bytes)).toBe(text);
  });
});
