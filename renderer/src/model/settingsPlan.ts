// Owns: what applying the settings panel will do, said before it happens — the change sent to
// settingsSet, one line per changed setting, and the effect of "Apply" and of "Apply & restart". Pure.
import { changedKeys, formatSize, restartNeeded, type Settings } from '../../../helpers/api/settings.ts';
import type { VmState } from '../../../helpers/api/vmState.ts';

export const settingLabels: Record<string, string> = {
  cpus: 'CPUs',
  memory: 'Memory',
  disk: 'Disk',
  accel: 'Acceleration',
  driver: 'Hypervisor',
  shares: 'File shares',
  'docker.daemon': 'Docker Engine (daemon.json)',
  'docker.proxy': 'Proxy',
  'ports.bindAddress': 'Ports bind address',
  startAtLogin: 'Start at login',
  stopVmOnQuit: 'Stop the VM on quit',
};

export interface ApplyPlan {
  /** The body of settingsSet's `change`: changed top-level keys with their whole new value. */
  change: Partial<Settings>;
  /** "Memory: 2 GiB → 4 GiB", one per changed setting. */
  lines: string[];
  /** Changed settings the running VM only takes on after a restart. */
  restartKeys: string[];
  /** "Apply & restart" restarts the VM now (a restart-needing change, and a VM that runs). */
  canRestart: boolean;
  /** What "Apply" does, in words. */
  applyEffect: string;
  /** What "Apply & restart" does, in words (the same as applyEffect when it would not restart). */
  restartEffect: string;
  /** Why "Apply & restart" is or is not offered. */
  restartNote: string;
  /** Warnings that hold whichever button: a disk that cannot shrink back, ports open to the network. */
  warnings: string[];
}

const onOff = (v: boolean) => (v ? 'on' : 'off');

function shareLines(before: Settings['shares'], after: Settings['shares']): string {
  const was = new Map(before.map((s) => [s.hostPath, s.writable]));
  const now = new Map(after.map((s) => [s.hostPath, s.writable]));
  const parts: string[] = [];
  for (const [path, writable] of now) {
    if (!was.has(path)) parts.push(`add ${path} (${writable ? 'writable' : 'read-only'})`);
    else if (was.get(path) !== writable) parts.push(`${path} becomes ${writable ? 'writable' : 'read-only'}`);
  }
  for (const path of was.keys()) if (!now.has(path)) parts.push(`remove ${path}`);
  return parts.length > 0 ? parts.join('; ') : 'reordered';
}

function proxyText(p: Settings['docker']['proxy']): string {
  const parts = [p.http ? `http ${p.http}` : '', p.https ? `https ${p.https}` : '', p.noProxy ? `no proxy for ${p.noProxy}` : ''].filter(Boolean);
  return parts.length > 0 ? parts.join(', ') : 'none';
}

/** One line saying how a setting changes. */
export function describeChange(key: string, before: Settings, after: Settings): string {
  const label = settingLabels[key] ?? key;
  switch (key) {
    case 'cpus':
      return `${label}: ${before.cpus} → ${after.cpus}`;
    case 'memory':
    case 'disk':
      return `${label}: ${formatSize(before[key])} → ${formatSize(after[key])}`;
    case 'accel':
    case 'driver':
      return `${label}: ${before[key]} → ${after[key]}`;
    case 'shares':
      return `${label}: ${shareLines(before.shares, after.shares)}`;
    case 'docker.daemon': {
      const b = Object.keys(before.docker.daemon);
      const a = Object.keys(after.docker.daemon);
      const added = a.filter((k) => !b.includes(k));
      const removed = b.filter((k) => !a.includes(k));
      const edited = a.filter((k) => b.includes(k) && JSON.stringify(before.docker.daemon[k]) !== JSON.stringify(after.docker.daemon[k]));
      const parts = [added.length ? `add ${added.join(', ')}` : '', removed.length ? `remove ${removed.join(', ')}` : '', edited.length ? `change ${edited.join(', ')}` : ''].filter(Boolean);
      return `${label}: ${parts.join('; ') || 'reformatted'}`;
    }
    case 'docker.proxy':
      return `${label}: ${proxyText(before.docker.proxy)} → ${proxyText(after.docker.proxy)}`;
    case 'ports.bindAddress':
      return `${label}: ${before.ports.bindAddress} → ${after.ports.bindAddress}`;
    case 'startAtLogin':
    case 'stopVmOnQuit':
      return `${label}: ${onOff(before[key])} → ${onOff(after[key])}`;
    default:
      return label;
  }
}

function topKey(key: string): keyof Settings {
  return key.split('.')[0] as keyof Settings;
}

/** The restart-needing settings as the middle of a sentence ("the new CPUs and memory"). */
const inSentence: Record<string, string> = {
  cpus: 'CPUs',
  memory: 'memory',
  disk: 'disk size',
  accel: 'acceleration',
  driver: 'hypervisor',
  shares: 'file shares',
  'docker.daemon': 'Docker Engine configuration',
  'docker.proxy': 'proxy',
};

function list(keys: string[]): string {
  const names = keys.map((k) => inSentence[k] ?? k);
  return names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names.at(-1)}`;
}

export function applyPlan(before: Settings, after: Settings, vm: VmState | undefined): ApplyPlan {
  const keys = changedKeys(before, after);
  const change: Partial<Settings> = {};
  for (const k of keys) Object.assign(change, { [topKey(k)]: after[topKey(k)] });
  const restartKeys = restartNeeded(before, after);
  const state = vm?.state;
  const canRestart = restartKeys.length > 0 && state === 'running';

  const warnings: string[] = [];
  if (after.disk > before.disk) warnings.push(`The VM's disk grows to ${formatSize(after.disk)}; a disk can never shrink again (only a factory reset starts a new one).`);
  if (after.driver !== before.driver) {
    warnings.push(`${after.driver} keeps its own disk: the VM starts with no images, containers or volumes; those made under ${before.driver} come back when you switch back.`);
  }
  if (keys.includes('ports.bindAddress') && (after.ports.bindAddress === '0.0.0.0' || after.ports.bindAddress === '::')) {
    warnings.push(`Published ports will listen on ${after.ports.bindAddress}: other computers on your network can reach them.`);
  }

  let applyEffect: string;
  let restartEffect: string;
  if (keys.length === 0) {
    applyEffect = restartEffect = 'Nothing to apply: every setting is as saved.';
  } else if (restartKeys.length === 0) {
    applyEffect = restartEffect = 'Berth saves the settings and uses them at once; the VM keeps running as it is.';
  } else if (state === 'running') {
    const what = list(restartKeys);
    applyEffect = `Berth saves the settings. The VM keeps running with the old ${what} until it restarts (Dashboard → Restart).`;
    restartEffect = `Berth will restart the VM: running containers stop. It starts again with the new ${what}; containers with a restart policy start again.`;
  } else if (state === 'starting' || state === 'stopping') {
    applyEffect = restartEffect = `Berth saves the settings; the VM takes the new ${list(restartKeys)} from its next start.`;
  } else {
    applyEffect = restartEffect = 'Berth saves the settings; the VM uses them the next time it starts.';
  }
  let restartNote: string;
  if (canRestart) restartNote = 'Apply & restart restarts the VM now.';
  else if (restartKeys.length === 0) restartNote = 'Apply & restart is for changes the running VM only takes on after a restart.';
  else if (state === 'starting' || state === 'stopping') restartNote = `The VM is ${state}: Apply now, and it uses the new settings from its next start.`;
  else restartNote = 'The VM is not running: Apply is enough; it uses the new settings when it starts.';
  return { change, lines: keys.map((k) => describeChange(k, before, after)), restartKeys, canRestart, applyEffect, restartEffect, restartNote, warnings };
}
