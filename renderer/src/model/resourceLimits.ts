// Owns: the settings panel's resource inputs against this host's limits (from settingsGet) — the
// bounds the inputs show, reading what was typed, clamping, and the disk that only grows. Pure.
import type { SettingsView } from '../../../helpers/api/controlApi.ts';
import { GiB, MiB, type Settings } from '../../../helpers/api/settings.ts';
import { formatBytes } from './displayFormat.ts';

export type Limits = SettingsView['limits'];
export type Bound = { min: number; max: number };
export type Resource = 'cpus' | 'memory' | 'disk';

/** The inputs' units: CPUs as counts, memory in steps of 256 MiB, disk in whole GiB. */
export const MEMORY_STEP = 256 * MiB;
export const DISK_STEP = GiB;

/** The bounds each input allows, in bytes for memory and disk. The disk never goes below what is saved: it only grows. */
export function resourceBounds(limits: Limits, saved: Settings): Record<Resource, Bound> {
  return {
    cpus: { min: limits.cpus.min, max: limits.cpus.max },
    memory: { min: limits.memory.min, max: limits.memory.max },
    disk: { min: Math.max(limits.disk.min, saved.disk), max: limits.disk.max },
  };
}

export function clamp(value: number, bound: Bound): number {
  return Math.min(bound.max, Math.max(bound.min, value));
}

export type ReadResult = { ok: true; value: number } | { ok: false; message: string };

/** What was typed in a resource input (CPUs; memory and disk in GiB) → the setting's value, or why not. */
export function readResource(resource: Resource, text: string, bound: Bound): ReadResult {
  const n = Number(text.trim());
  if (text.trim() === '' || !Number.isFinite(n)) return { ok: false, message: `${label(resource)}: type a number, like ${example(resource)}` };
  const value = resource === 'cpus' ? n : resource === 'memory' ? Math.round((n * GiB) / MiB) * MiB : Math.round(n) * GiB;
  if (resource === 'cpus' && !Number.isInteger(n)) return { ok: false, message: 'CPUs: a whole number, like 2' };
  if (value < bound.min || value > bound.max) return { ok: false, message: `${label(resource)}: ${describeBound(resource, bound)}` };
  return { ok: true, value };
}

/** The value as the input shows it (GiB for sizes, two decimals at most). */
export function inputValue(resource: Resource, value: number): string {
  if (resource === 'cpus') return String(value);
  return String(Math.round((value / GiB) * 100) / 100);
}

/** The input's min/max/step attributes, in its own units. */
export function inputAttributes(resource: Resource, bound: Bound): { min: number; max: number; step: number } {
  if (resource === 'cpus') return { min: bound.min, max: bound.max, step: 1 };
  const step = resource === 'memory' ? MEMORY_STEP / GiB : 1;
  // A min between steps (a disk already 64.5 GiB) rounds up, a max rounds down, so every allowed step is valid.
  const min = resource === 'disk' ? Math.ceil(bound.min / GiB) : Math.ceil(bound.min / MEMORY_STEP) * step;
  const max = resource === 'disk' ? Math.floor(bound.max / GiB) : Math.floor(bound.max / MEMORY_STEP) * step;
  return { min, max, step };
}

/** "1–2 CPUs on this computer", "1 GiB – 21.5 GiB", "64 GiB – 16 TiB (it can only grow)". */
export function describeBound(resource: Resource, bound: Bound): string {
  if (resource === 'cpus') return bound.min === bound.max ? `${bound.min} on this computer` : `${bound.min}–${bound.max} on this computer`;
  const range = `${formatBytes(bound.min)} – ${formatBytes(bound.max)}`;
  return resource === 'memory' ? `${range} on this computer (the rest stays with the host)` : `${range} (the disk can only grow)`;
}

/** Every resource in the draft outside its bound, in words; [] when all fit. */
export function resourceProblems(draft: Pick<Settings, Resource>, bounds: Record<Resource, Bound>): string[] {
  return (['cpus', 'memory', 'disk'] as const)
    .filter((r) => draft[r] < bounds[r].min || draft[r] > bounds[r].max)
    .map((r) => `${label(r)} ${r === 'cpus' ? draft[r] : formatBytes(draft[r])} is outside ${describeBound(r, bounds[r])}`);
}

function label(r: Resource): string {
  return r === 'cpus' ? 'CPUs' : r === 'memory' ? 'Memory' : 'Disk';
}

function example(r: Resource): string {
  return r === 'cpus' ? '2' : r === 'memory' ? '4 (GiB)' : '64 (GiB)';
}
