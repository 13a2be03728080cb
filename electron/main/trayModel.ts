// Owns: the tray as a pure function of berthd's status — icon, tooltip, status line and which menu
// items are enabled. No Electron here: menuTemplate.ts turns the model into a menu.
import type { Status, VmState } from '../../helpers/api/vmState.ts';

export const trayIcons = ['stopped', 'starting', 'running', 'degraded', 'error'] as const;
export type TrayIcon = (typeof trayIcons)[number];

export const trayItemIds = ['start', 'stop', 'restart', 'dashboard', 'settings', 'troubleshoot', 'quit'] as const;
export type TrayItemId = (typeof trayItemIds)[number];

export interface TrayItem {
  readonly id: TrayItemId;
  readonly label: string;
  readonly enabled: boolean;
}

export interface TrayModel {
  readonly icon: TrayIcon;
  readonly tooltip: string;
  readonly statusLine: string;
  readonly items: readonly TrayItem[];
}

/** Windows cuts tray tooltips at 127 characters; the status line is a menu item, kept readable. */
export const TOOLTIP_MAX = 127;
export const STATUS_LINE_MAX = 80;

const labels: Record<TrayItemId, string> = {
  start: 'Start',
  stop: 'Stop',
  restart: 'Restart',
  dashboard: 'Dashboard',
  settings: 'Settings…',
  troubleshoot: 'Troubleshoot…',
  quit: 'Quit Berth',
};

type Lifecycle = Readonly<Record<'start' | 'stop' | 'restart', boolean>>;

/** What each VM state allows; it mirrors berthd's transition table (stop from error clears the error). */
const lifecycleByState: Record<VmState['state'] | 'no-berthd', Lifecycle> = {
  'no-berthd': { start: true, stop: false, restart: false },
  stopped: { start: true, stop: false, restart: false },
  starting: { start: false, stop: true, restart: false },
  running: { start: false, stop: true, restart: true },
  stopping: { start: false, stop: false, restart: false },
  error: { start: true, stop: true, restart: false },
};

export function trayModel(status: Status | undefined): TrayModel {
  const { icon, statusLine, detail } = describe(status);
  const lifecycle = lifecycleByState[status === undefined ? 'no-berthd' : status.vm.state];
  const items = trayItemIds.map((id) => ({
    id,
    label: labels[id],
    enabled: id === 'start' || id === 'stop' || id === 'restart' ? lifecycle[id] : true,
  }));
  const tooltip = clip([`Berth: ${statusLine}`, ...detail].join('\n'), TOOLTIP_MAX);
  return { icon, tooltip, statusLine: clip(statusLine, STATUS_LINE_MAX), items };
}

interface Description {
  icon: TrayIcon;
  statusLine: string;
  /** Extra tooltip lines. */
  detail: string[];
}

function describe(status: Status | undefined): Description {
  if (status === undefined) return { icon: 'stopped', statusLine: 'berthd not running', detail: ['Start launches it'] };
  const vm = status.vm;
  const pending = status.restartPending?.length ? [`Restart to apply: ${status.restartPending.join(', ')}`] : [];
  switch (vm.state) {
    case 'stopped':
      return { icon: 'stopped', statusLine: 'Stopped', detail: vm.lastExit ? [`Last exit: ${vm.lastExit}`] : [] };
    case 'starting':
      return { icon: 'starting', statusLine: `Starting · ${vm.phase} ${percent(vm.progress)}`, detail: [] };
    case 'stopping':
      return { icon: 'starting', statusLine: 'Stopping…', detail: [] };
    case 'error':
      return { icon: 'error', statusLine: `Error · ${oneLine(vm.reason)}`, detail: [oneLine(vm.hint)] };
    case 'running': {
      const first = vm.degraded[0];
      if (first === undefined) return { icon: 'running', statusLine: runningLine(status), detail: pending };
      const more = vm.degraded.length > 1 ? ` (+${vm.degraded.length - 1} more)` : '';
      return { icon: 'degraded', statusLine: `Degraded · ${oneLine(first.message)}${more}`, detail: [runningLine(status), ...pending] };
    }
  }
}

function runningLine(status: Status): string {
  const parts = ['Running'];
  if (status.resources) {
    const { cpus, memoryBytes } = status.resources;
    parts.push(`${cpus} ${cpus === 1 ? 'CPU' : 'CPUs'}`, formatMemory(memoryBytes));
  }
  if (status.dockerVersion) parts.push(`Docker ${status.dockerVersion}`);
  return parts.join(' · ');
}

/** 2 GiB, 1.5 GiB, 512 MiB: the units the settings panel uses. */
export function formatMemory(bytes: number): string {
  const gib = bytes / 1024 ** 3;
  if (gib >= 1) return `${Number.isInteger(gib) ? gib : gib.toFixed(1)} GiB`;
  return `${Math.round(bytes / 1024 ** 2)} MiB`;
}

function percent(progress: number): string {
  return `${Math.round(Math.min(1, Math.max(0, progress)) * 100)}%`;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}
