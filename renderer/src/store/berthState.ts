// Owns: the UI's picture of Berth and its pure reducers — berthd's events applied in order
// (applyEvent), the error list every failure lands in, and the notices that say what an action did.
import type { ApiError, ApiEvent } from '../../../helpers/api/controlApi.ts';
import type { ContainerSummary, ImageSummary, VmStats, VolumeSummary } from '../../../helpers/api/docker.ts';
import type { PortForward } from '../../../helpers/api/ports.ts';
import type { Status, VmState } from '../../../helpers/api/vmState.ts';
import { TransportError } from '../../../helpers/api/transport.ts';

export type LiveLogSource = 'console' | 'berthd';
/** Lines kept per live log; older ones fall off (the full logs are on disk: Troubleshoot → logs). */
export const LIVE_LOG_LIMIT = 2000;
export const ERROR_LIMIT = 20;
export const NOTICE_LIMIT = 5;

export interface UiError extends ApiError {
  id: number;
  /** What the user was doing ("Stopping web-1"), shown before the message. */
  context?: string;
}

export interface Notice {
  id: number;
  message: string;
}

export interface BerthState {
  /** The event stream: undefined until the first answer or failure. */
  connected: boolean | undefined;
  /** While the stream is down: why, as a call made once at the moment it went down answered (berthd down, wrong token …). */
  connectionProblem: ApiError | undefined;
  /** From GET status: fetched on connect, after actions and when the VM changes state. */
  status: Status | undefined;
  /** The VM's state from the latest `state` event (or status, whichever came last). */
  vm: VmState | undefined;
  forwards: PortForward[];
  /** undefined: Berth has not said (yet), e.g. while the VM is stopped. */
  containers: ContainerSummary[] | undefined;
  images: ImageSummary[] | undefined;
  volumes: VolumeSummary[] | undefined;
  stats: VmStats | undefined;
  liveLogs: Record<LiveLogSource, string[]>;
  /** Lines ever received per live log (liveLogs keeps only the last LIVE_LOG_LIMIT). */
  liveLogSeq: Record<LiveLogSource, number>;
  errors: UiError[];
  notices: Notice[];
  /** Keys of actions under way ("start", "container:web-1"): their buttons are disabled meanwhile. */
  busy: string[];
  nextId: number;
}

export const initialState: BerthState = {
  connected: undefined,
  connectionProblem: undefined,
  status: undefined,
  vm: undefined,
  forwards: [],
  containers: undefined,
  images: undefined,
  volumes: undefined,
  stats: undefined,
  liveLogs: { console: [], berthd: [] },
  liveLogSeq: { console: 0, berthd: 0 },
  errors: [],
  notices: [],
  busy: [],
  nextId: 1,
};

/** Docker's lists describe a VM that runs: from a stopped, failed or booting VM they are stale. */
function dockerGone(vm: VmState): boolean {
  return vm.state === 'stopped' || vm.state === 'error' || vm.state === 'starting';
}

function withVm(state: BerthState, vm: VmState): BerthState {
  const next: BerthState = { ...state, vm, status: state.status ? { ...state.status, vm, state: vm.state } : undefined };
  if (vm.state !== 'running') next.stats = undefined;
  if (dockerGone(vm)) {
    next.containers = undefined;
    next.images = undefined;
    next.volumes = undefined;
  }
  return next;
}

export function applyEvent(state: BerthState, event: ApiEvent): BerthState {
  switch (event.type) {
    case 'state':
      return withVm(state, event.vm);
    case 'log': {
      const lines = [...state.liveLogs[event.source], event.line];
      if (lines.length > LIVE_LOG_LIMIT) lines.splice(0, lines.length - LIVE_LOG_LIMIT);
      return {
        ...state,
        liveLogs: { ...state.liveLogs, [event.source]: lines },
        liveLogSeq: { ...state.liveLogSeq, [event.source]: state.liveLogSeq[event.source] + 1 },
      };
    }
    case 'ports':
      return { ...state, forwards: event.forwards };
    case 'containers':
      return { ...state, containers: event.containers };
    case 'images':
      return { ...state, images: event.images };
    case 'volumes':
      return { ...state, volumes: event.volumes };
    case 'stats':
      return { ...state, stats: event.stats };
  }
}

/** A fresh status replaces the VM state too (it is at least as new as the last event). */
export function applyStatus(state: BerthState, status: Status): BerthState {
  return { ...withVm(state, status.vm), status: { ...status } };
}

/** The event stream went up or down. Down: what it told is no longer live, so stats go. */
export function applyConnected(state: BerthState, up: boolean): BerthState {
  return up ? { ...state, connected: true, connectionProblem: undefined } : { ...state, connected: false, stats: undefined };
}

/** What the one call made when the stream went down said; ignored once the stream is back up. */
export function applyConnectionProblem(state: BerthState, problem: ApiError): BerthState {
  return state.connected === false ? { ...state, connectionProblem: problem } : state;
}

/** Does this event change the VM's state (so the status, with its Docker version and resources, is worth fetching again)? */
export function vmStateChanged(before: BerthState, event: ApiEvent): boolean {
  return event.type === 'state' && before.vm?.state !== event.vm.state;
}

/** Any thrown thing as {code, message, hint}: berthd's own words when it said them. */
export function toApiError(e: unknown): ApiError {
  if (e instanceof TransportError) return e.error;
  if (typeof e === 'object' && e !== null && 'error' in e) {
    const inner = (e as { error: unknown }).error;
    if (typeof inner === 'object' && inner !== null && 'message' in inner && 'hint' in inner) {
      const { code, message, hint } = inner as Record<string, unknown>;
      return { code: String(code ?? 'error'), message: String(message), hint: String(hint) };
    }
  }
  const message = e instanceof Error ? e.message : String(e);
  return { code: 'unexpected', message: `Something failed in the dashboard: ${message}`, hint: 'Try again; if it keeps failing, reload the page and see Troubleshoot → berthd log' };
}

export function pushError(state: BerthState, error: ApiError, context?: string): BerthState {
  const entry: UiError = { id: state.nextId, code: error.code, message: error.message, hint: error.hint, ...(context ? { context } : {}) };
  // The same failure again (a retry that fails alike) replaces the old entry rather than piling up.
  const rest = state.errors.filter((e) => !(e.code === entry.code && e.message === entry.message && e.context === entry.context));
  return { ...state, errors: [...rest, entry].slice(-ERROR_LIMIT), nextId: state.nextId + 1 };
}

export function dismissError(state: BerthState, id: number): BerthState {
  return { ...state, errors: state.errors.filter((e) => e.id !== id) };
}

export function pushNotice(state: BerthState, message: string): BerthState {
  return { ...state, notices: [...state.notices, { id: state.nextId, message }].slice(-NOTICE_LIMIT), nextId: state.nextId + 1 };
}

export function dismissNotice(state: BerthState, id: number): BerthState {
  return { ...state, notices: state.notices.filter((n) => n.id !== id) };
}

export function setBusy(state: BerthState, key: string, busy: boolean): BerthState {
  const rest = state.busy.filter((k) => k !== key);
  return { ...state, busy: busy ? [...rest, key] : rest };
}
