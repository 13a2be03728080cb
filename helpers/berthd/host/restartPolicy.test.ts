// The helper restart policy (T-26), table-driven: the doubling delay and its cap, the reset after a
// stable run, giving up after too many exits in a row, and at once when the binary cannot be started.
import { describe, expect, it } from 'vitest';
import { afterExit, DEFAULT_RESTART_POLICY, formatSeconds, type RestartDecision, type RestartHistory, type RunEnd } from './restartPolicy.ts';

const P = DEFAULT_RESTART_POLICY;

describe('afterExit', () => {
  const rows: { name: string; history: RestartHistory; end: RunEnd; want: RestartDecision }[] = [
    { name: 'the first exit: restart after 0.2 s', history: { exitsInARow: 0 }, end: { ranMs: 5000 }, want: { action: 'restart', delayMs: 200, history: { exitsInARow: 1 } } },
    { name: 'the second quick exit doubles the delay', history: { exitsInARow: 1 }, end: { ranMs: 300 }, want: { action: 'restart', delayMs: 400, history: { exitsInARow: 2 } } },
    { name: 'the fifth: 3.2 s', history: { exitsInARow: 4 }, end: { ranMs: 10 }, want: { action: 'restart', delayMs: 3200, history: { exitsInARow: 5 } } },
    { name: 'the sixth is capped at 5 s', history: { exitsInARow: 5 }, end: { ranMs: 10 }, want: { action: 'restart', delayMs: 5000, history: { exitsInARow: 6 } } },
    { name: 'the eighth is still restarted, at the cap', history: { exitsInARow: 7 }, end: { ranMs: 59_999 }, want: { action: 'restart', delayMs: 5000, history: { exitsInARow: 8 } } },
    {
      name: 'the ninth in a row is given up on, saying why',
      history: { exitsInARow: 8 },
      end: { ranMs: 0 },
      want: { action: 'give-up', history: { exitsInARow: 9 }, why: 'it exited 9 times in a row, each within 60 s of its start' },
    },
    { name: 'a run of a stable minute resets the count, even after many exits', history: { exitsInARow: 8 }, end: { ranMs: 60_000 }, want: { action: 'restart', delayMs: 200, history: { exitsInARow: 1 } } },
    { name: 'a long stable run resets it too', history: { exitsInARow: 3 }, end: { ranMs: 3_600_000 }, want: { action: 'restart', delayMs: 200, history: { exitsInARow: 1 } } },
    { name: 'a binary that cannot be started is given up on at once', history: { exitsInARow: 0 }, end: { ranMs: 0, spawnFailed: true }, want: { action: 'give-up', history: { exitsInARow: 1 }, why: 'it could not be started' } },
  ];
  it.each(rows)('$name', ({ history, end, want }) => {
    expect(afterExit(P, history, end)).toEqual(want);
  });

  it('follows the whole sequence of quick exits: 0.2, 0.4, 0.8, 1.6, 3.2, 5, 5, 5, then gives up', () => {
    let h: RestartHistory = { exitsInARow: 0 };
    const delays: (number | 'give-up')[] = [];
    for (let i = 0; i < 9; i++) {
      const d = afterExit(P, h, { ranMs: 100 });
      delays.push(d.action === 'restart' ? d.delayMs : 'give-up');
      h = d.history;
    }
    expect(delays).toEqual([200, 400, 800, 1600, 3200, 5000, 5000, 5000, 'give-up']);
  });

  it('takes another policy as given (maxRestarts 0: never restarted)', () => {
    expect(afterExit({ ...P, maxRestarts: 0 }, { exitsInARow: 0 }, { ranMs: 1 })).toMatchObject({ action: 'give-up' });
    expect(afterExit({ firstDelayMs: 50, maxDelayMs: 120, stableMs: 1000, maxRestarts: 5 }, { exitsInARow: 2 }, { ranMs: 1 })).toEqual({ action: 'restart', delayMs: 120, history: { exitsInARow: 3 } });
  });

  it('formats seconds for the messages', () => {
    expect([formatSeconds(200), formatSeconds(5000), formatSeconds(60_000), formatSeconds(1234)]).toEqual(['0.2 s', '5 s', '60 s', '1.2 s']);
  });
});
