// Tests: Quit's decision for every VM state and setting, and the window's close staying in the tray.
import { describe, expect, it } from 'vitest';
import { closeAction, quitPlan } from './quitPlan.ts';

describe('quitPlan', () => {
  it('stops a running or starting VM when stopVmOnQuit is on (or not known)', () => {
    for (const vm of ['running', 'starting'] as const) {
      expect(quitPlan({ stopVmOnQuit: true, vm, berthdInsideApp: false })).toMatchObject({ stopVm: true, shutdownBerthd: false });
      expect(quitPlan({ stopVmOnQuit: undefined, vm, berthdInsideApp: false })).toMatchObject({ stopVm: true });
    }
  });

  it('leaves the VM running when stopVmOnQuit is off and berthd outlives the app', () => {
    expect(quitPlan({ stopVmOnQuit: false, vm: 'running', berthdInsideApp: false })).toEqual({ stopVm: false, shutdownBerthd: false, note: expect.stringContaining('keeps running') });
  });

  it('berthd inside the app: the VM is stopped and berthd asked to exit, whatever the setting', () => {
    expect(quitPlan({ stopVmOnQuit: false, vm: 'running', berthdInsideApp: true })).toMatchObject({ stopVm: true, shutdownBerthd: true, note: expect.stringContaining('Node.js') });
    expect(quitPlan({ stopVmOnQuit: false, vm: 'stopped', berthdInsideApp: true })).toMatchObject({ stopVm: false, shutdownBerthd: true });
  });

  it('nothing to stop when the VM is stopped, stopping, in error, or berthd is away', () => {
    for (const vm of ['stopped', 'stopping', 'error'] as const) expect(quitPlan({ stopVmOnQuit: true, vm, berthdInsideApp: false })).toMatchObject({ stopVm: false, shutdownBerthd: false });
    expect(quitPlan({ stopVmOnQuit: true, vm: undefined, berthdInsideApp: true })).toMatchObject({ stopVm: false, shutdownBerthd: false });
  });
});

describe('closeAction', () => {
  it('closing the window keeps the app in the tray; quitting closes it', () => {
    expect(closeAction(false)).toBe('hide');
    expect(closeAction(true)).toBe('close');
  });
});
