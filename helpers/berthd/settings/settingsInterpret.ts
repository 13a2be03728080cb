// Owns: what a settings file's bytes mean, as pure functions: decode them (or say what is wrong), migrate,
// split off unknown keys, fill defaults, fit to the host, validate; of a newer Berth's file, keep what validates.
import { defaultSettings, formatSize, MiB, SETTINGS_VERSION, validateSettings, type Settings, type SettingsHostFacts } from '../../api/settings.ts';
import { migrate } from './settingsMigrations.ts';
import { fillMissingKeys, fitToHost, splitUnknownKeys } from './settingsRepair.ts';

/** Settings take a few KiB; a file past this is not settings, and is not even read whole. */
export const MAX_SETTINGS_BYTES = MiB;

export type DecodedSettingsFile = { ok: true; value: Record<string, unknown>; notes: string[] } | { ok: false; reason: string };

const UTF8_BOM = Buffer.from([0xef, 0xbb, 0xbf]);

/*
 * BOM decision: a UTF-8 byte-order mark is what Notepad and some other editors put in front of a file
 * they save; the JSON after it is fine, so it is stripped, noted, and gone at the next save (Berth writes
 * UTF-8 without one). Counting it as corruption would throw away a user's correct hand edit.
 * A UTF-16 BOM is a different encoding altogether, and is reported as such.
 */
export function decodeSettingsFile(bytes: Buffer): DecodedSettingsFile {
  const notes: string[] = [];
  if (bytes.length === 0) return { ok: false, reason: 'is empty (0 bytes), as a file cut short by a crash or a full disk is' };
  if (bytes.length > MAX_SETTINGS_BYTES) return { ok: false, reason: tooBig(bytes.length) };
  let body = bytes;
  if (body.subarray(0, 3).equals(UTF8_BOM)) {
    body = body.subarray(3);
    notes.push('settings.json starts with a byte-order mark (some editors add one); Berth ignored it, and saves the file without it');
  } else if ((body[0] === 0xff && body[1] === 0xfe) || (body[0] === 0xfe && body[1] === 0xff)) {
    return { ok: false, reason: 'is UTF-16 text: save it as UTF-8' };
  }
  if (body.includes(0)) {
    const all = body.every((b) => b === 0);
    return { ok: false, reason: all ? `is all NUL bytes (${body.length}), as a file the system lost in a crash is` : 'contains NUL bytes, as a file damaged in a crash is' };
  }
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(body);
  } catch {
    return { ok: false, reason: 'is not UTF-8 text' };
  }
  if (text.trim() === '') return { ok: false, reason: 'holds only blank space' };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const hint = /,\s*[}\]]/.test(text) ? ' — a trailing comma?' : text.trimEnd().endsWith('}') ? '' : ' — the file looks cut short';
    return { ok: false, reason: `is not valid JSON (${(e as Error).message}${hint})` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, reason: `holds ${value === null ? 'null' : Array.isArray(value) ? 'a list' : `a ${typeof value}`} rather than a settings object` };
  }
  return { ok: true, value: value as Record<string, unknown>, notes };
}

export function tooBig(size: number): string {
  return `is ${formatSize(size)}, far more than settings ever take (at most ${formatSize(MAX_SETTINGS_BYTES)})`;
}

export type Interpretation =
  | { kind: 'ok'; settings: Settings; migratedFrom?: number; applied: string[]; notes: string[]; unknownKeys: string[] }
  | { kind: 'future'; settings: Settings; futureVersion: number; notes: string[]; unknownKeys: string[] }
  | { kind: 'corrupt'; reason: string };

/** Never throws: anything unexpected (a JSON nesting deep enough to exhaust the stack) is corruption. */
export function interpretSettings(bytes: Buffer, host: SettingsHostFacts): Interpretation {
  try {
    return interpret(bytes, host);
  } catch (e) {
    return { kind: 'corrupt', reason: `could not be read as settings (${e instanceof Error ? e.message : String(e)})` };
  }
}

function interpret(bytes: Buffer, host: SettingsHostFacts): Interpretation {
  const decoded = decodeSettingsFile(bytes);
  if (!decoded.ok) return { kind: 'corrupt', reason: decoded.reason };
  const migrated = migrate(decoded.value, { home: host.home });
  if (migrated.status === 'invalid') return { kind: 'corrupt', reason: migrated.problem };

  const { known, unknown } = splitUnknownKeys(migrated.settings);
  const defaults = defaultSettings(host);
  const filled = fillMissingKeys({ ...known, version: SETTINGS_VERSION }, defaults);
  const fitted = fitToHost(filled.value, host);
  const notes = [...decoded.notes, ...filled.notes, ...fitted.notes];
  if (unknown.length > 0) {
    notes.push(`settings.json has ${unknown.join(', ')}, which this Berth does not know; ${unknown.length > 1 ? 'they are' : 'it is'} not used and will be dropped at the next save`);
  }

  if (migrated.status === 'future') {
    const { settings, notes: skipped } = salvage(fitted.value, defaults, host);
    return { kind: 'future', settings, futureVersion: migrated.futureVersion, notes: [...notes, ...skipped], unknownKeys: unknown };
  }
  const checked = validateSettings(fitted.value, host);
  if (!checked.ok) return { kind: 'corrupt', reason: `has settings Berth cannot use: ${checked.problems.map((p) => p.message).join('; ')}` };
  const fromOld = migrated.fromVersion < SETTINGS_VERSION;
  return {
    kind: 'ok',
    settings: checked.settings,
    ...(fromOld ? { migratedFrom: migrated.fromVersion } : {}),
    applied: migrated.applied,
    notes,
    unknownKeys: unknown,
  };
}

/** A newer Berth's settings, key by key: each one that validates here is used, the rest stay at defaults. */
function salvage(raw: Record<string, unknown>, defaults: Settings, host: SettingsHostFacts): { settings: Settings; notes: string[] } {
  let settings = defaults;
  const notes: string[] = [];
  for (const key of Object.keys(defaults) as (keyof Settings)[]) {
    if (key === 'version' || !Object.hasOwn(raw, key)) continue;
    const trial = validateSettings({ ...settings, [key]: raw[key] }, host);
    if (trial.ok) settings = trial.settings;
    else notes.push(`${key} from the newer Berth's settings is not one this Berth can use (${trial.problems.map((p) => p.message).join('; ')}); using ${JSON.stringify(settings[key])}`);
  }
  return { settings, notes };
}
