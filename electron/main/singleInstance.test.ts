// Tests: the single-instance decisions of T-15 — the lock holder runs, a second launch quits and
// brings the first forward — with a fake app of Electron's App shape.
import { describe, expect, it, vi } from 'vitest';
import { bringForward, claimSingleInstance, decideInstance, type LockingApp } from './singleInstance.ts';

describe('decideInstance', () => {
  it('runs with the lock, quits without it', () => {
    expect(decideInstance(true)).toEqual({ action: 'run' });
    expect(decideInstance(false)).toMatchObject({ action: 'quit' });
  });
});

describe('bringForward', () => {
  it.each([
    ['none', ['open-dashboard']],
    ['minimized', ['restore', 'focus']],
    ['hidden', ['show', 'focus']],
    ['visible', ['focus']],
  ] as const)('%s → %j', (presence, steps) => {
    expect(bringForward(presence)).toEqual(steps);
  });
});

describe('claimSingleInstance', () => {
  function fakeApp(gotLock: boolean) {
    const listeners = new Map<string, () => void>();
    const app = {
      requestSingleInstanceLock: vi.fn(() => gotLock),
      quit: vi.fn(),
      on: vi.fn((event: string, listener: () => void) => listeners.set(event, listener)),
    } satisfies LockingApp;
    return { app, listeners };
  }

  it('the first instance keeps running and listens for later launches', () => {
    const { app, listeners } = fakeApp(true);
    const onSecond = vi.fn();
    expect(claimSingleInstance(app, onSecond)).toBe(true);
    expect(app.quit).not.toHaveBeenCalled();
    listeners.get('second-instance')?.();
    expect(onSecond).toHaveBeenCalledTimes(1);
  });

  it('a later instance quits and registers nothing', () => {
    const { app } = fakeApp(false);
    expect(claimSingleInstance(app, vi.fn())).toBe(false);
    expect(app.quit).toHaveBeenCalledTimes(1);
    expect(app.on).not.toHaveBeenCalled();
  });
});
