// Tests: the reconnecting event follower against a fake berthd event stream (each attempt is a fake
// `follow` the test ends by hand) and fake timers: up/down reported on change only, backoff, stop.
import { describe, expect, it, vi } from 'vitest';
import type { ApiEvent } from '../../helpers/api/controlApi.ts';
import { followWithRetry, retryDelayMs, type FollowOnce, type Timers } from './eventFollower.ts';

const state: ApiEvent = { type: 'state', vm: { state: 'stopped' } };

function fakeStream() {
  const attempts: { emit: (e: ApiEvent) => void; end: () => void; stopped: boolean }[] = [];
  const follow: FollowOnce = (onEvent, onEnd) => {
    const a = { emit: onEvent, end: () => onEnd(), stopped: false };
    attempts.push(a);
    return () => {
      a.stopped = true;
    };
  };
  return { follow, attempts };
}

function fakeTimers() {
  const pending: { fn: () => void; ms: number; cleared: boolean }[] = [];
  const timers: Timers = {
    setTimeout: (fn, ms) => {
      const t = { fn, ms, cleared: false };
      pending.push(t);
      return t;
    },
    clearTimeout: (h) => {
      (h as { cleared: boolean }).cleared = true;
    },
  };
  const fire = () => {
    const t = pending.shift();
    if (t && !t.cleared) t.fn();
    return t?.ms;
  };
  return { timers, pending, fire };
}

describe('followWithRetry (fake event stream)', () => {
  it('reports up on the first event and passes events on', () => {
    const s = fakeStream();
    const events = vi.fn();
    const connected = vi.fn();
    followWithRetry(s.follow, events, connected, fakeTimers().timers);
    s.attempts[0]?.emit(state);
    s.attempts[0]?.emit(state);
    expect(events).toHaveBeenCalledTimes(2);
    expect(connected.mock.calls).toEqual([[true]]);
  });

  it('reports down when the stream ends, retries with backoff, and up again', () => {
    const s = fakeStream();
    const t = fakeTimers();
    const connected = vi.fn();
    followWithRetry(s.follow, () => {}, connected, t.timers);
    s.attempts[0]?.emit(state);
    s.attempts[0]?.end();
    expect(connected.mock.calls).toEqual([[true], [false]]);
    expect(t.fire()).toBe(500);
    s.attempts[1]?.end(); // berthd still away
    expect(t.fire()).toBe(1000);
    s.attempts[2]?.end();
    expect(t.fire()).toBe(2000);
    s.attempts[3]?.emit(state);
    expect(connected.mock.calls).toEqual([[true], [false], [true]]);
    s.attempts[3]?.end();
    expect(t.fire()).toBe(500); // a delivered event resets the backoff
  });

  it('a first attempt that fails reports down once', () => {
    const s = fakeStream();
    const t = fakeTimers();
    const connected = vi.fn();
    followWithRetry(s.follow, () => {}, connected, t.timers);
    s.attempts[0]?.end();
    t.fire();
    s.attempts[1]?.end();
    expect(connected.mock.calls).toEqual([[false]]);
  });

  it('stop ends the attempt and any pending retry; nothing is reported after it', () => {
    const s = fakeStream();
    const t = fakeTimers();
    const events = vi.fn();
    const connected = vi.fn();
    const stop = followWithRetry(s.follow, events, connected, t.timers);
    s.attempts[0]?.end();
    stop();
    expect(t.pending[0]?.cleared).toBe(true);
    s.attempts[0]?.emit(state);
    expect(events).not.toHaveBeenCalled();
    const stop2 = followWithRetry(s.follow, events, connected, t.timers);
    stop2();
    expect(s.attempts[1]?.stopped).toBe(true);
  });

  it('backoff is capped at 10 s', () => {
    expect([0, 1, 5, 6, 100].map(retryDelayMs)).toEqual([500, 1000, 10_000, 10_000, 10_000]);
  });
});
