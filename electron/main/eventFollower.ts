// Owns: following berthd's event stream for as long as someone listens — reconnecting with backoff
// when berthd goes away, and saying when the stream goes up (first event) or down (it ended).
import type { ApiEvent } from '../../helpers/api/controlApi.ts';

/** One attempt: follow until the stream ends by itself (onEnd) or the returned stop is called. */
export type FollowOnce = (onEvent: (event: ApiEvent) => void, onEnd: (error?: Error) => void) => () => void;

export interface Timers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
const realTimers: Timers = { setTimeout: (fn, ms) => setTimeout(fn, ms), clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>) };

/** Wait before reconnect attempt n (0-based): half a second, doubling, at most 10 s. */
export function retryDelayMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, Math.min(attempt, 10)));
}

/**
 * Follows until the returned function is called. `connected(true)` once the stream delivers (berthd
 * sends the current state first), `connected(false)` when it ends or cannot connect; each only on change.
 */
export function followWithRetry(follow: FollowOnce, onEvent: (event: ApiEvent) => void, connected: (up: boolean) => void, timers: Timers = realTimers): () => void {
  let stopped = false;
  let up: boolean | undefined;
  let attempt = 0;
  let stopAttempt: (() => void) | undefined;
  let retry: unknown;
  const report = (now: boolean): void => {
    if (up === now) return;
    up = now;
    connected(now);
  };
  const start = (): void => {
    retry = undefined;
    stopAttempt = follow(
      (event) => {
        if (stopped) return;
        attempt = 0;
        report(true);
        onEvent(event);
      },
      () => {
        if (stopped) return;
        report(false);
        retry = timers.setTimeout(start, retryDelayMs(attempt++));
      },
    );
  };
  start();
  return () => {
    stopped = true;
    if (retry !== undefined) timers.clearTimeout(retry);
    stopAttempt?.();
  };
}
