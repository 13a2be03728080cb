// Owns: an image pull's progress as a pure reducer over Docker's messages — one bar per layer
// (download, then extract), the pull's own status lines, and how many layers are done.
import type { ApiError } from '../../../helpers/api/controlApi.ts';
import type { PullProgress } from '../../../helpers/api/docker.ts';

export type LayerPhase = 'waiting' | 'downloading' | 'verifying' | 'extracting' | 'done';

export interface LayerProgress {
  id: string;
  /** Docker's words: "Downloading", "Extracting", "Pull complete", "Already exists". */
  status: string;
  phase: LayerPhase;
  current?: number;
  total?: number;
  /** 0..1 of the layer's whole work: downloading counts as the first half, extracting the second. */
  fraction: number;
}

export interface PullState {
  ref: string;
  layers: LayerProgress[];
  /** Messages about the whole pull ("Pulling from library/busybox", "Digest: …", "Status: …"). */
  messages: string[];
  outcome: 'pulling' | 'done' | 'failed';
  error?: ApiError;
}

export function startPull(ref: string): PullState {
  return { ref, layers: [], messages: [], outcome: 'pulling' };
}

function phaseOf(status: string): LayerPhase | undefined {
  const s = status.toLowerCase();
  if (s.startsWith('pulling fs layer') || s.startsWith('waiting')) return 'waiting';
  if (s.startsWith('downloading') || s.startsWith('retrying')) return 'downloading';
  if (s.startsWith('verifying') || s.startsWith('download complete')) return 'verifying';
  if (s.startsWith('extracting')) return 'extracting';
  if (s.startsWith('pull complete') || s.startsWith('already exists')) return 'done';
  return undefined;
}

function fractionOf(phase: LayerPhase, current?: number, total?: number): number {
  const share = current !== undefined && total !== undefined && total > 0 ? Math.min(1, Math.max(0, current / total)) : 0;
  switch (phase) {
    case 'waiting':
      return 0;
    case 'downloading':
      return share / 2;
    case 'verifying':
      return 0.5;
    case 'extracting':
      return 0.5 + share / 2;
    case 'done':
      return 1;
  }
}

/** One progress item applied. A message without a layer, or one whose status is not a layer step, is about the pull. */
export function applyPullItem(state: PullState, item: PullProgress): PullState {
  const phase = phaseOf(item.status);
  if (item.layer === undefined || phase === undefined) {
    // As the docker CLI prints them: "latest: Pulling from library/busybox".
    const line = item.layer !== undefined ? `${item.layer}: ${item.status}` : item.status;
    return state.messages.at(-1) === line ? state : { ...state, messages: [...state.messages, line] };
  }
  const layer: LayerProgress = { id: item.layer, status: item.status, phase, fraction: fractionOf(phase, item.current, item.total) };
  if (item.current !== undefined) layer.current = item.current;
  if (item.total !== undefined) layer.total = item.total;
  const index = state.layers.findIndex((l) => l.id === item.layer);
  const layers = index < 0 ? [...state.layers, layer] : state.layers.map((l, i) => (i === index ? layer : l));
  return { ...state, layers };
}

export function endPull(state: PullState, error?: ApiError): PullState {
  if (error) return { ...state, outcome: 'failed', error };
  return { ...state, outcome: 'done', layers: state.layers.map((l) => ({ ...l, phase: 'done', fraction: 1 })) };
}

export function pullSummary(state: PullState): string {
  const done = state.layers.filter((l) => l.phase === 'done').length;
  const layers = `${done} of ${state.layers.length} ${state.layers.length === 1 ? 'layer' : 'layers'}`;
  if (state.outcome === 'done') return `Pulled ${state.ref} (${layers})`;
  if (state.outcome === 'failed') return state.layers.length === 0 ? `Pulling ${state.ref} failed` : `Pulling ${state.ref} failed after ${layers}`;
  return state.layers.length === 0 ? `Pulling ${state.ref}…` : `Pulling ${state.ref}: ${layers} done`;
}
