// Owns: when a helper process berthd supervises (hvsock-bridge) is started again after it exits (pure):
// a delay doubling from 0.2 s to 5 s, reset once a run lasted a stable minute, and giving up after too many exits in a row.

export type RestartPolicy = {
  /** The delay before the first restart. */
  firstDelayMs: number;
  /** The longest delay: doubling stops here. */
  maxDelayMs: number;
  /** A run that lasted this long was stable: the count of exits in a row starts again. */
  stableMs: number;
  /** Exits in a row (each run shorter than stableMs) that are restarted; the next one is given up on. */
  maxRestarts: number;
};

export const DEFAULT_RESTART_POLICY: RestartPolicy = { firstDelayMs: 200, maxDelayMs: 5000, stableMs: 60_000, maxRestarts: 8 };

/** Exits in a row since the last stable run (0 before any exit). */
export type RestartHistory = { exitsInARow: number };

/** How a run ended: how long it ran, and whether the process could not be started at all (its binary is gone). */
export type RunEnd = { ranMs: number; spawnFailed?: boolean };

export type RestartDecision = { action: 'restart'; delayMs: number; history: RestartHistory } | { action: 'give-up'; history: RestartHistory; why: string };

/** What to do after a run ended unexpectedly (pure). */
export function afterExit(policy: RestartPolicy, history: RestartHistory, end: RunEnd): RestartDecision {
  const exitsInARow = end.ranMs >= policy.stableMs ? 1 : history.exitsInARow + 1;
  const next = { exitsInARow };
  if (end.spawnFailed) return { action: 'give-up', history: next, why: 'it could not be started' };
  if (exitsInARow > policy.maxRestarts) {
    return { action: 'give-up', history: next, why: `it exited ${exitsInARow} times in a row, each within ${formatSeconds(policy.stableMs)} of its start` };
  }
  const delayMs = Math.min(policy.firstDelayMs * 2 ** (exitsInARow - 1), policy.maxDelayMs);
  return { action: 'restart', delayMs, history: next };
}

export function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(1))} s`;
}
