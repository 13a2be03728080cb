// Owns: turning `berth settings set k=v …` words into a settings change, and settings into lines to
// print. Pure: `cpus=2 memory=3GiB ports.bindAddress=0.0.0.0 docker.daemon='{"debug":true}'`.
import { formatSize, type Settings } from '../api/settings.ts';

export class SettingsArgError extends Error {}

/** A value as typed: JSON when it parses (2, true, {"a":1}, [..]), else the plain string (3GiB, 0.0.0.0). */
export function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Apply `key=value` assignments (dotted keys reach inside objects) onto the current settings and return
 * the top-level keys that changed with their whole new values — a change the API merges safely.
 */
export function buildChange(current: Settings, assignments: string[]): Record<string, unknown> {
  if (assignments.length === 0) throw new SettingsArgError('give at least one key=value, like cpus=2 or memory=4GiB');
  const next = structuredClone(current) as unknown as Record<string, unknown>;
  const touched = new Set<string>();
  for (const a of assignments) {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new SettingsArgError(`"${a}" is not key=value: write it like cpus=2 or ports.bindAddress=127.0.0.1`);
    const key = a.slice(0, eq).trim();
    const path = key.split('.');
    if (path.some((p) => p === '' || p === '__proto__' || p === 'constructor' || p === 'prototype')) throw new SettingsArgError(`"${key}" is not a settings key`);
    if (path[0] === 'version') throw new SettingsArgError('version is not a setting: Berth manages it');
    let obj: Record<string, unknown> = next;
    for (const p of path.slice(0, -1)) {
      const inner = obj[p];
      if (!isRecord(inner)) throw new SettingsArgError(`"${key}": ${p} is not an object of settings (see \`berth settings get\`)`);
      obj = inner;
    }
    obj[path[path.length - 1]!] = parseValue(a.slice(eq + 1));
    touched.add(path[0]!);
  }
  return Object.fromEntries([...touched].map((k) => [k, next[k]]));
}

/** One setting's value for `berth settings get <key>`, or undefined when there is no such key. */
export function settingAt(settings: Settings, key: string): unknown {
  return key.split('.').reduce<unknown>((v, k) => (isRecord(v) && Object.hasOwn(v, k) ? v[k] : undefined), settings);
}

/** Settings as `key  value` lines, sizes in human units. */
export function settingsLines(s: Settings): string[] {
  const rows: [string, string][] = [
    ['cpus', String(s.cpus)],
    ['memory', formatSize(s.memory)],
    ['disk', formatSize(s.disk)],
    ['accel', s.accel],
    ['shares', s.shares.length === 0 ? '(none)' : s.shares.map((x) => `${x.hostPath}${x.writable ? '' : ' (read-only)'}`).join(', ')],
    ['ports.bindAddress', s.ports.bindAddress],
    ['docker.daemon', JSON.stringify(s.docker.daemon)],
    ['docker.proxy', JSON.stringify(s.docker.proxy)],
    ['startAtLogin', String(s.startAtLogin)],
    ['stopVmOnQuit', String(s.stopVmOnQuit)],
  ];
  return rows.map(([k, v]) => `${k.padEnd(18)} ${v}`);
}
