// Tests: dockerEventsFollower.ts with PassThrough streams and fake timers — retries after a failed open
// with a doubling backoff, reopening after the stream ends (with `lost` and `connected` again), stop().
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DockerEventsFollower, type EventsFollowerHooks } from './dockerEventsFollower.ts';

type Calls = { opens: number; failed: string[]; connected: number; lost: number; data: string[]; logs: string[]; streams: PassThrough[] };

function follower(results: ('fail' | 'ok')[], opts: { resetBackoffOnData?: boolean } = {}): { f: DockerEventsFollower; r: Calls } {
  const r: Calls = { opens: 0, failed: [], connected: 0, lost: 0, data: [], logs: [], streams: [] };
  const hooks: EventsFollowerHooks = {
    open: async () => {
      const result = results[r.opens++] ?? 'ok';
      if (result === 'fail') throw new Error(`refused ${r.opens}`);
      const s = new PassThrough();
      r.streams.push(s);
      return s;
    },
    openFailed: (e) => r.failed.push(e.message),
    connected: () => r.connected++,
    data: (chunk) => r.data.push(String(chunk)),
    lost: () => r.lost++,
    log: (m) => r.logs.push(m),
  };
  return { f: new DockerEventsFollower(hooks, { minBackoffMs: 100, maxBackoffMs: 400, ...opts }), r };
}

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});

describe('DockerEventsFollower', () => {
  it('retries a failed open after the backoff, doubling it up to the cap', async () => {
    const { f, r } = follower(['fail', 'fail', 'fail', 'fail', 'ok']);
    f.start();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.failed).toEqual(['refused 1']);
    await vi.advanceTimersByTimeAsync(99);
    expect(r.opens).toBe(1);
    await vi.advanceTimersByTimeAsync(1);
    expect(r.opens).toBe(2);
    await vi.advanceTimersByTimeAsync(200);
    expect(r.opens).toBe(3);
    await vi.advanceTimersByTimeAsync(400);
    expect(r.opens).toBe(4);
    await vi.advanceTimersByTimeAsync(399);
    expect(r.opens).toBe(4); // capped at 400 ms
    await vi.advanceTimersByTimeAsync(1);
    expect(r.opens).toBe(5);
    expect(r.connected).toBe(1);
    f.stop();
  });

  it('passes the data on, and opens the stream again when it ends, calling lost then connected', async () => {
    const { f, r } = follower(['ok', 'ok']);
    f.start();
    await vi.advanceTimersByTimeAsync(0);
    r.streams[0]!.write('{"Type":"container"}\n');
    await vi.advanceTimersByTimeAsync(0);
    expect(r.data).toEqual(['{"Type":"container"}\n']);
    r.streams[0]!.destroy(new Error('link reset'));
    await vi.advanceTimersByTimeAsync(0);
    expect(r.logs).toEqual(["Docker's event stream failed (link reset); following it again in 100 ms"]);
    expect(r.lost).toBe(1);
    await vi.advanceTimersByTimeAsync(100);
    expect(r.opens).toBe(2);
    expect(r.connected).toBe(2);
    f.stop();
  });

  it('with resetBackoffOnData, a chunk starts the backoff again from its minimum', async () => {
    const { f, r } = follower(['fail', 'ok', 'ok'], { resetBackoffOnData: true });
    f.start();
    await vi.advanceTimersByTimeAsync(100); // the failed open doubled the backoff to 200
    expect(r.connected).toBe(1);
    r.streams[0]!.write('x');
    await vi.advanceTimersByTimeAsync(0);
    r.streams[0]!.end();
    await vi.advanceTimersByTimeAsync(0);
    expect(r.logs.at(-1)).toMatch(/in 100 ms$/);
    f.stop();
  });

  it('stop() destroys the open stream and plans no other try', async () => {
    const { f, r } = follower(['ok']);
    f.start();
    await vi.advanceTimersByTimeAsync(0);
    f.stop();
    expect(r.streams[0]!.destroyed).toBe(true);
    await vi.advanceTimersByTimeAsync(10_000);
    expect(r.opens).toBe(1);
    expect(r.logs).toEqual([]);
    expect(r.lost).toBe(0);
  });
});
