// Owns: tests of vmStateMachine.ts: nextState for every state × event pair (table-driven), progress
// clamping, `since` taken from `now`, and that no state is a dead end (T-28).

import { describe, expect, it } from 'vitest';
import { vmStateSchema, type VmState } from '../../api/vmState.ts';
import { nextState, type VmEvent } from './vmStateMachine.ts';

const SINCE = 1_000;
const NOW = 5_000;

type StateName = VmState['state'];
type EventType = VmEvent['type'];

const states: { [K in StateName]: Extract<VmState, { state: K }> } = {
  stopped: { state: 'stopped', lastExit: 'earlier exit' },
  starting: { state: 'starting', phase: 'booting', progress: 0.4, since: SINCE },
  running: { state: 'running', degraded: [{ what: 'port', message: 'old' }], since: SINCE },
  stopping: { state: 'stopping', since: SINCE },
  error: { state: 'error', reason: 'old reason', hint: 'old hint', lastLog: ['old line'] },
};

const reasons = [{ what: 'docker' as const, message: 'dockerd does not answer' }];
const events: { [K in EventType]: Extract<VmEvent, { type: K }> } = {
  start: { type: 'start' },
  adopt: { type: 'adopt' },
  phase: { type: 'phase', phase: 'waiting for agent', progress: 0.7 },
  ready: { type: 'ready' },
  degraded: { type: 'degraded', reasons },
  stop: { type: 'stop' },
  stopped: { type: 'stopped', lastExit: 'qemu exited with code 0' },
  failed: { type: 'failed', reason: 'boom', hint: 'try again', lastLog: ['a', 'b'] },
};

const justStarted: VmState = { state: 'starting', phase: 'checking host', progress: 0, since: NOW };
const adopting: VmState = { state: 'starting', phase: 'waiting for agent', progress: 0.5, since: NOW };
const toError: VmState = { state: 'error', reason: 'boom', hint: 'try again', lastLog: ['a', 'b'] };

/** The documented transitions; every pair not listed here (undefined) is refused. */
const table: { [S in StateName]: { [E in EventType]: VmState | undefined } } = {
  stopped: { start: justStarted, adopt: adopting, phase: undefined, ready: undefined, degraded: undefined, stop: undefined, stopped: undefined, failed: undefined },
  starting: {
    start: undefined,
    adopt: undefined,
    phase: { state: 'starting', phase: 'waiting for agent', progress: 0.7, since: SINCE },
    ready: { state: 'running', degraded: [], since: NOW },
    degraded: undefined,
    stop: { state: 'stopping', since: NOW },
    stopped: undefined,
    failed: toError,
  },
  running: {
    start: undefined,
    adopt: undefined,
    phase: undefined,
    ready: undefined,
    degraded: { state: 'running', degraded: reasons, since: SINCE },
    stop: { state: 'stopping', since: NOW },
    stopped: undefined,
    failed: toError,
  },
  stopping: {
    start: undefined,
    adopt: undefined,
    phase: undefined,
    ready: undefined,
    degraded: undefined,
    stop: undefined,
    stopped: { state: 'stopped', lastExit: 'qemu exited with code 0' },
    failed: toError,
  },
  error: { start: justStarted, adopt: adopting, phase: undefined, ready: undefined, degraded: undefined, stop: { state: 'stopped' }, stopped: undefined, failed: undefined },
};

const stateNames = Object.keys(states) as StateName[];
const eventTypes = Object.keys(events) as EventType[];
const pairs = stateNames.flatMap((s) => eventTypes.map((e) => [s, e] as const));

describe('nextState', () => {
  it('the table covers 5 states × 8 event types', () => {
    expect(stateNames).toHaveLength(5);
    expect(eventTypes).toHaveLength(8);
    expect(pairs).toHaveLength(40);
  });

  it.each(pairs)('%s + %s', (s, e) => {
    const want = table[s][e];
    const got = nextState(states[s], events[e], NOW);
    if (want === undefined) expect(got).toBeUndefined();
    else {
      expect(got).toStrictEqual(want);
      // Whatever the machine produces is a state the API can report.
      expect(vmStateSchema.safeParse(got).success).toBe(true);
    }
  });

  it('does not modify the state it is given', () => {
    const before = structuredClone(states);
    for (const [s, e] of pairs) nextState(states[s], events[e], NOW);
    expect(states).toStrictEqual(before);
  });

  it('clamps phase progress to [0, 1]', () => {
    const at = (progress: number): VmState | undefined => nextState(states.starting, { type: 'phase', phase: 'booting', progress }, NOW);
    expect(at(-0.5)).toMatchObject({ progress: 0 });
    expect(at(0)).toMatchObject({ progress: 0 });
    expect(at(0.25)).toMatchObject({ progress: 0.25 });
    expect(at(1)).toMatchObject({ progress: 1 });
    expect(at(1.7)).toMatchObject({ progress: 1 });
    expect(at(Number.POSITIVE_INFINITY)).toMatchObject({ progress: 1 });
  });

  it('takes `since` from `now` on start, ready and stop, and keeps it on phase and degraded', () => {
    expect(nextState(states.stopped, events.start, 42)).toMatchObject({ since: 42 });
    expect(nextState(states.error, events.start, 43)).toMatchObject({ since: 43 });
    expect(nextState(states.starting, events.ready, 44)).toMatchObject({ since: 44 });
    expect(nextState(states.starting, events.stop, 45)).toMatchObject({ since: 45 });
    expect(nextState(states.running, events.stop, 46)).toMatchObject({ since: 46 });
    expect(nextState(states.starting, events.phase, 47)).toMatchObject({ since: SINCE });
    expect(nextState(states.running, events.degraded, 48)).toMatchObject({ since: SINCE });
  });

  it('a stopped event without lastExit gives a plain stopped state (no undefined key)', () => {
    const got = nextState(states.stopping, { type: 'stopped' }, NOW);
    expect(got).toStrictEqual({ state: 'stopped' });
    expect(Object.keys(got ?? {})).toEqual(['state']);
  });

  it('T-28: no state is a dead end: from every state some sequence of events reaches stopped', () => {
    const paths = new Map<StateName, EventType[]>();
    for (const from of stateNames) {
      // Breadth-first over the sample events; the states reached are keyed by name.
      const seen = new Set<StateName>([from]);
      const queue: { s: VmState; path: EventType[] }[] = [{ s: states[from], path: [] }];
      let found: EventType[] | undefined = from === 'stopped' ? [] : undefined;
      while (!found && queue.length) {
        const { s, path } = queue.shift()!;
        for (const e of eventTypes) {
          const n = nextState(s, events[e], NOW);
          if (!n || seen.has(n.state)) continue;
          if (n.state === 'stopped') {
            found = [...path, e];
            break;
          }
          seen.add(n.state);
          queue.push({ s: n, path: [...path, e] });
        }
      }
      expect(found, `no way from ${from} to stopped`).toBeDefined();
      paths.set(from, found!);
    }
    // The shortest ways out are the ones the manager relies on.
    expect(Object.fromEntries(paths)).toEqual({
      stopped: [],
      starting: ['stop', 'stopped'],
      running: ['stop', 'stopped'],
      stopping: ['stopped'],
      error: ['stop'],
    });
  });

  it('T-28: a stop asked for in any active state leads to stopped, even when QEMU fails while stopping', () => {
    for (const from of ['starting', 'running'] as const) {
      const stopping = nextState(states[from], events.stop, NOW);
      expect(stopping?.state).toBe('stopping');
      const failed = nextState(stopping!, events.failed, NOW);
      expect(failed?.state).toBe('error');
      expect(nextState(failed!, events.stop, NOW)).toStrictEqual({ state: 'stopped' });
    }
  });
});
