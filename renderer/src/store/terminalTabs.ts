// Owns: the Terminal screen's tabs as pure reducers — one tab per session (VM shell, container,
// host shell), which one is shown, and which tab takes over when the shown one closes.
import type { TerminalSpec } from '../../../helpers/api/terminal.ts';

export interface TerminalTab {
  id: number;
  spec: TerminalSpec;
  /** What the tab says: "VM shell", "web-1", "This computer". */
  label: string;
}

export interface TabsState {
  tabs: TerminalTab[];
  active: number | undefined;
  nextTabId: number;
}

export const initialTabs: TabsState = { tabs: [], active: undefined, nextTabId: 1 };

export function tabLabel(spec: TerminalSpec, containerName?: string): string {
  if (spec.kind === 'vm') return 'VM shell';
  if (spec.kind === 'host') return 'This computer';
  return containerName ?? spec.id;
}

export function openTab(state: TabsState, spec: TerminalSpec, label: string): TabsState {
  const tab: TerminalTab = { id: state.nextTabId, spec, label };
  return { tabs: [...state.tabs, tab], active: tab.id, nextTabId: state.nextTabId + 1 };
}

/** Closing the shown tab shows its right neighbour, else its left one. */
export function closeTab(state: TabsState, id: number): TabsState {
  const index = state.tabs.findIndex((t) => t.id === id);
  if (index < 0) return state;
  const tabs = state.tabs.filter((t) => t.id !== id);
  const active = state.active === id ? (tabs[index] ?? tabs[index - 1])?.id : state.active;
  return { ...state, tabs, active };
}

export function selectTab(state: TabsState, id: number): TabsState {
  return state.tabs.some((t) => t.id === id) ? { ...state, active: id } : state;
}

/** Arrow keys across a tab list (the ARIA tabs pattern): wraps at both ends. */
export function neighbourTab(state: TabsState, id: number, step: 1 | -1): number | undefined {
  const index = state.tabs.findIndex((t) => t.id === id);
  if (index < 0 || state.tabs.length === 0) return undefined;
  return state.tabs[(index + step + state.tabs.length) % state.tabs.length]?.id;
}
