import { describe, expect, it } from 'vitest';
import type { ApiEvent } from '../../../helpers/api/controlApi.ts';
import type { ContainerSummary, ImageSummary, VmStats, VolumeSummary } from '../../../helpers/api/docker.ts';
import type { PortForward } from '../../../helpers/api/ports.ts';
import { TransportError } from '../../../helpers/api/transport.ts';
import type { Status, VmState } from '../../../helpers/api/vmState.ts';
import {
  applyConnected,
  applyConnectionProblem,
  applyEvent,
  applyStatus,
  type BerthState,
  dismissError,
  dismissNotice,
  ERROR_LIMIT,
  initialState,
  LIVE_LOG_LIMIT,
  pushError,
  pushNotice,
  setBusy,
  toApiError,
  vmStateChanged,
} from './berthState.ts';

const running: VmState = { state: 'running', degraded: [], since: 1_700_000_000_000 };
const stopped: VmState = { state: 'stopped' };
const status: Status = {
  state: 'running',
  vm: running,
  dockerVersion: '20.10.24',
  dockerSocket: '/h/run/docker.sock',
  berthdPid: 10,
  berthHome: '/h',
  resources: { cpus: 2, memoryBytes: 2 * 1024 ** 3, diskBytes: 64 * 1024 ** 3 },
  settings: { path: '/h/settings.json', status: 'ok', notes: [] },
};
const container: ContainerSummary = { id: 'c1', name: 'web', image: 'busybox', command: 'httpd', state: 'running', status: 'Up 3 minutes', created: 1, ports: [{ privatePort: 80, publicPort: 8080, type: 'tcp' }] };
const image: ImageSummary = { id: 'sha256:1', tags: ['busybox:latest'], size: 1000, created: 1, containers: 1 };
const volume: VolumeSummary = { name: 'data', driver: 'local', mountpoint: '/var/lib/docker/volumes/data', size: 10, refCount: 0 };
const stats: VmStats = { cpu: 0.25, memoryUsedBytes: 512 * 1024 ** 2, memoryTotalBytes: 2 * 1024 ** 3, at: 5 };
const forward: PortForward = { containerId: 'c1', containerName: 'web', containerPort: 80, protocol: 'tcp', guestHostIp: '0.0.0.0', hostAddress: '127.0.0.1', hostPort: 8080, state: 'conflict', message: 'held by nginx (pid 4)', bytesIn: 0, bytesOut: 0, connections: 0 };

function withDocker(vm: VmState = running): BerthState {
  return { ...applyStatus(initialState, { ...status, vm, state: vm.state }), containers: [container], images: [image], volumes: [volume], stats };
}

describe('applyEvent', () => {
  it('state: sets the VM state and mirrors it into the fetched status', () => {
    const next = applyEvent(applyStatus(initialState, status), { type: 'state', vm: { state: 'stopping', since: 2 } });
    expect(next.vm).toEqual({ state: 'stopping', since: 2 });
    expect(next.status?.state).toBe('stopping');
    expect(next.status?.vm).toEqual(next.vm);
    expect(next.status?.dockerVersion).toBe('20.10.24');
  });

  it('state: before any status, only the VM state is known', () => {
    const starting: VmState = { state: 'starting', phase: 'booting', progress: 0.4, since: 3 };
    const next = applyEvent(initialState, { type: 'state', vm: starting });
    expect(next.vm).toEqual(starting);
    expect(next.status).toBeUndefined();
  });

  it('state: leaving running drops stats; stopping keeps the lists, stopped/error/starting drop them', () => {
    const stopping = applyEvent(withDocker(), { type: 'state', vm: { state: 'stopping', since: 2 } });
    expect(stopping.stats).toBeUndefined();
    expect(stopping.containers).toEqual([container]);
    for (const vm of [stopped, { state: 'error', reason: 'r', hint: 'h', lastLog: [] }, { state: 'starting', phase: 'booting', progress: 0, since: 1 }] as VmState[]) {
      const next = applyEvent(withDocker(), { type: 'state', vm });
      expect([next.containers, next.images, next.volumes, next.stats], vm.state).toEqual([undefined, undefined, undefined, undefined]);
    }
  });

  it('state: running keeps stats and lists', () => {
    const next = applyEvent(withDocker(), { type: 'state', vm: { state: 'running', degraded: [{ what: 'docker', message: 'Docker does not answer' }], since: 1 } });
    expect(next.stats).toEqual(stats);
    expect(next.containers).toEqual([container]);
    expect(next.vm).toMatchObject({ degraded: [{ what: 'docker' }] });
  });

  it('log: appends to its own source, bounded', () => {
    let s = applyEvent(initialState, { type: 'log', source: 'console', line: 'boot' });
    s = applyEvent(s, { type: 'log', source: 'berthd', line: 'hello' });
    expect(s.liveLogs).toEqual({ console: ['boot'], berthd: ['hello'] });
    expect(s.liveLogSeq).toEqual({ console: 1, berthd: 1 });
    for (let i = 0; i < LIVE_LOG_LIMIT + 5; i++) s = applyEvent(s, { type: 'log', source: 'console', line: `l${i}` });
    expect(s.liveLogs.console).toHaveLength(LIVE_LOG_LIMIT);
    expect(s.liveLogs.console.at(-1)).toBe(`l${LIVE_LOG_LIMIT + 4}`);
    expect(s.liveLogs.console[0]).toBe('l5');
    expect(s.liveLogs.berthd).toEqual(['hello']);
    expect(s.liveLogSeq.console).toBe(LIVE_LOG_LIMIT + 6);
  });

  it('ports: replaces the forwards', () => {
    const s = applyEvent({ ...initialState, forwards: [{ ...forward, hostPort: 1 }] }, { type: 'ports', forwards: [forward] });
    expect(s.forwards).toEqual([forward]);
  });

  it('containers, images, volumes: replace their whole list', () => {
    const events: ApiEvent[] = [
      { type: 'containers', containers: [container] },
      { type: 'images', images: [image] },
      { type: 'volumes', volumes: [volume] },
    ];
    const s = events.reduce(applyEvent, initialState);
    expect([s.containers, s.images, s.volumes]).toEqual([[container], [image], [volume]]);
    expect(applyEvent(s, { type: 'containers', containers: [] }).containers).toEqual([]);
  });

  it('stats: replaces the sample', () => {
    expect(applyEvent(initialState, { type: 'stats', stats }).stats).toEqual(stats);
  });

  it('never changes the state it was given', () => {
    const before = withDocker();
    const copy = structuredClone(before);
    applyEvent(before, { type: 'state', vm: stopped });
    applyEvent(before, { type: 'log', source: 'console', line: 'x' });
    expect(before).toEqual(copy);
  });
});

describe('status, connection and VM changes', () => {
  it('applyStatus sets status and vm together', () => {
    const s = applyStatus(initialState, status);
    expect(s.status).toEqual(status);
    expect(s.vm).toEqual(running);
  });

  it('applyConnected: down drops stats but keeps what else it knew', () => {
    const down = applyConnected(withDocker(), false);
    expect(down.connected).toBe(false);
    expect(down.stats).toBeUndefined();
    expect(down.containers).toEqual([container]);
    expect(applyConnected(down, true).connected).toBe(true);
  });

  it('applyConnectionProblem says why while down, and is cleared when the stream is back', () => {
    const problem = { code: 'berthd-down', message: 'berthd is not running', hint: 'run `berth start`' };
    const down = applyConnectionProblem(applyConnected(initialState, false), problem);
    expect(down.connectionProblem).toEqual(problem);
    expect(applyConnected(down, true).connectionProblem).toBeUndefined();
    // An answer that arrives after the stream came back up is stale.
    expect(applyConnectionProblem(applyConnected(initialState, true), problem).connectionProblem).toBeUndefined();
  });

  it('vmStateChanged only for a state event that moves to another state', () => {
    const s = applyStatus(initialState, status);
    expect(vmStateChanged(s, { type: 'state', vm: stopped })).toBe(true);
    expect(vmStateChanged(s, { type: 'state', vm: { ...running, degraded: [{ what: 'clock', message: 'm' }] } })).toBe(false);
    expect(vmStateChanged(s, { type: 'stats', stats })).toBe(false);
    expect(vmStateChanged(initialState, { type: 'state', vm: running })).toBe(true);
  });
});

describe('errors, notices and busy keys', () => {
  it('pushError keeps message and hint with a context; dismissError removes by id', () => {
    let s = pushError(initialState, { code: 'vm-busy', message: 'The VM is stopping', hint: 'Wait, then start it' }, 'Starting the VM');
    s = pushError(s, { code: 'x', message: 'm2', hint: 'h2' });
    expect(s.errors.map((e) => [e.context, e.message, e.hint])).toEqual([['Starting the VM', 'The VM is stopping', 'Wait, then start it'], [undefined, 'm2', 'h2']]);
    s = dismissError(s, s.errors[0]!.id);
    expect(s.errors.map((e) => e.message)).toEqual(['m2']);
  });

  it('the same failure again replaces the old entry; the list is bounded', () => {
    const e = { code: 'c', message: 'same', hint: 'h' };
    let s = pushError(pushError(initialState, e), e);
    expect(s.errors).toHaveLength(1);
    for (let i = 0; i < ERROR_LIMIT + 3; i++) s = pushError(s, { ...e, message: `m${i}` });
    expect(s.errors).toHaveLength(ERROR_LIMIT);
  });

  it('toApiError keeps berthd words, and says what to do for anything else', () => {
    expect(toApiError(new TransportError({ code: 'c', message: 'm', hint: 'h' }))).toEqual({ code: 'c', message: 'm', hint: 'h' });
    expect(toApiError({ ok: false, error: { code: 'ipc', message: 'bad', hint: 'do' } })).toEqual({ code: 'ipc', message: 'bad', hint: 'do' });
    const other = toApiError(new Error('boom'));
    expect(other.message).toContain('boom');
    expect(other.hint).not.toBe('');
  });

  it('notices are bounded and dismissable; busy keys come and go', () => {
    let s = initialState;
    for (let i = 0; i < 8; i++) s = pushNotice(s, `n${i}`);
    expect(s.notices.map((n) => n.message)).toEqual(['n3', 'n4', 'n5', 'n6', 'n7']);
    s = dismissNotice(s, s.notices[0]!.id);
    expect(s.notices).toHaveLength(4);
    s = setBusy(setBusy(s, 'start', true), 'container:web', true);
    expect(s.busy).toEqual(['start', 'container:web']);
    expect(setBusy(s, 'start', false).busy).toEqual(['container:web']);
  });
});
