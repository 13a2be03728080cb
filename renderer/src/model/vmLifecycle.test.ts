import { describe, expect, it } from 'vitest';
import type { VmState } from '../../../helpers/api/vmState.ts';
import { dockerUnavailableReason, lifecycle, vmHeadline } from './vmLifecycle.ts';

const states: Record<VmState['state'], VmState> = {
  stopped: { state: 'stopped' },
  starting: { state: 'starting', phase: 'waiting for docker', progress: 0.8, since: 1 },
  running: { state: 'running', degraded: [], since: 1 },
  stopping: { state: 'stopping', since: 1 },
  error: { state: 'error', reason: 'QEMU exited', hint: 'see the console log', lastLog: [] },
};

describe('lifecycle (mirrors the tray)', () => {
  it('offers Start / Stop / Restart per state', () => {
    const table = Object.fromEntries(Object.entries(states).map(([k, vm]) => [k, lifecycle(vm)]));
    expect(table).toEqual({
      stopped: { start: true, stop: false, restart: false },
      starting: { start: false, stop: true, restart: false },
      running: { start: false, stop: true, restart: true },
      stopping: { start: false, stop: false, restart: false },
      error: { start: true, stop: true, restart: false },
    });
    expect(lifecycle(undefined)).toEqual({ start: true, stop: false, restart: false });
  });
});

describe('vmHeadline', () => {
  it('says the state, its phase and progress', () => {
    expect(vmHeadline(states.starting)).toEqual({ title: 'Starting · waiting for docker', tone: 'busy', progress: 0.8 });
    expect(vmHeadline(states.running)).toEqual({ title: 'Running', tone: 'running' });
    expect(vmHeadline({ state: 'running', degraded: [{ what: 'docker', message: 'm' }], since: 1 }).tone).toBe('degraded');
    expect(vmHeadline(states.error).tone).toBe('error');
    expect(vmHeadline(states.stopping).tone).toBe('busy');
    expect(vmHeadline(undefined).title).toBe('Unknown');
  });
  it('clamps progress to 0..1', () => {
    expect(vmHeadline({ state: 'starting', phase: 'booting', progress: 1.4, since: 1 }).progress).toBe(1);
  });
});

describe('dockerUnavailableReason', () => {
  it('is silent while Docker answers and says why otherwise', () => {
    expect(dockerUnavailableReason(states.running, true)).toBeUndefined();
    expect(dockerUnavailableReason(states.stopping, true)).toBeUndefined();
    expect(dockerUnavailableReason(states.stopped, true)).toMatch(/start it/);
    expect(dockerUnavailableReason(states.starting, true)).toMatch(/waiting for docker/);
    expect(dockerUnavailableReason(states.error, true)).toMatch(/Dashboard/);
    expect(dockerUnavailableReason(states.running, false)).toMatch(/not answering/);
  });
});
