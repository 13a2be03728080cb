// The VM lifecycle as a pure transition table: (state, event) → next state, or undefined when the
// event has no meaning in that state. The manager runs the effects; nothing here does I/O.
import type { DegradedReason, StartPhase, VmState } from '../../api/vmState.ts';

export type VmEvent =
  | { type: 'start' }
  /** berthd found a VM an earlier berthd started (T-27): it reconnects instead of booting another. */
  | { type: 'adopt' }
  | { type: 'phase'; phase: StartPhase; progress: number }
  | { type: 'ready' }
  | { type: 'degraded'; reasons: DegradedReason[] }
  | { type: 'stop' }
  | { type: 'stopped'; lastExit?: string }
  | { type: 'failed'; reason: string; hint: string; lastLog: string[] };

export function nextState(s: VmState, e: VmEvent, now: number): VmState | undefined {
  switch (e.type) {
    case 'start':
      return s.state === 'stopped' || s.state === 'error' ? { state: 'starting', phase: 'checking host', progress: 0, since: now } : undefined;
    case 'adopt':
      return s.state === 'stopped' || s.state === 'error' ? { state: 'starting', phase: 'waiting for agent', progress: 0.5, since: now } : undefined;
    case 'phase':
      return s.state === 'starting' ? { ...s, phase: e.phase, progress: Math.min(1, Math.max(0, e.progress)) } : undefined;
    case 'ready':
      return s.state === 'starting' ? { state: 'running', degraded: [], since: now } : undefined;
    case 'degraded':
      return s.state === 'running' ? { ...s, degraded: e.reasons } : undefined;
    case 'stop':
      return s.state === 'starting' || s.state === 'running' ? { state: 'stopping', since: now } : s.state === 'error' ? { state: 'stopped' } : undefined;
    case 'stopped':
      return s.state === 'stopping' ? (e.lastExit ? { state: 'stopped', lastExit: e.lastExit } : { state: 'stopped' }) : undefined;
    case 'failed':
      return s.state === 'starting' || s.state === 'running' || s.state === 'stopping'
        ? { state: 'error', reason: e.reason, hint: e.hint, lastLog: e.lastLog }
        : undefined;
  }
}
