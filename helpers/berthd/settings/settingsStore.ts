// Owns: settings.json on disk. loadSettings never throws and always hands back usable settings (ok,
// missing, corrupt or future); saveSettings replaces the file atomically and keeps settings.json.last-good.
//
// Files beside settings.json:
//   settings.json.last-good      the last settings loaded or saved successfully; what a damaged file falls back to
//   settings.json.bad-<time>     a damaged file, set aside (never deleted by Berth); <time> is ISO 8601 with - for :
//   settings.json.v<n>.bak       the file as it was before Berth migrated it from version n (kept once)
//   settings.json.tmp-<pid>-<x>  a save in progress; a dead writer's are removed at the next load
// A BOM is stripped (settingsInterpret.ts); unknown keys are reported and dropped at the next save
// (settingsRepair.ts); a newer Berth's file is used read-only as far as it validates, and never rewritten.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { defaultSettings, SETTINGS_VERSION, settingsSchema, type Settings, type SettingsHostFacts } from '../../api/settings.ts';
import { badFileName, keepAside, removeStrayTemps, writeFileAtomic } from './atomicFileWrite.ts';
import { decodeSettingsFile, interpretSettings, MAX_SETTINGS_BYTES, tooBig } from './settingsInterpret.ts';

type LoadCommon = {
  settings: Settings;
  /** What a user should hear about: a migration, defaults filled in, values fitted to this host, a file set aside. */
  notes: string[];
  /** Keys in the file this Berth does not know: not used, and dropped at the next save. */
  unknownKeys: string[];
  /** Temp files of saves that died mid-way, removed by this load. */
  removedTemps: string[];
};
type LoadOutcome =
  | { status: 'ok'; migratedFrom?: number }
  /** No settings.json: defaults, and nothing is written until the first change. */
  | { status: 'missing' }
  /** Damaged: kept as `badFile` (when it could be set aside), and the last good settings or the defaults used. */
  | { status: 'corrupt'; reason: string; badFile?: string; recoveredFrom: 'last-good' | 'defaults' }
  /** From a newer Berth: read-only; saveSettings refuses until Berth is updated. */
  | { status: 'future'; futureVersion: number };
export type SettingsLoad = LoadCommon & LoadOutcome;
type LoadBody = Omit<LoadCommon, 'removedTemps'> & LoadOutcome;

export class SettingsSaveError extends Error {
  override name = 'SettingsSaveError';
}

export const lastGoodPath = (path: string): string => `${path}.last-good`;

/** settings.json as Berth writes it: two-space JSON, keys in schema order, a final newline, no BOM. */
export function serializeSettings(settings: Settings): string {
  return `${JSON.stringify(settings, null, 2)}\n`;
}

export function loadSettings(path: string, host: SettingsHostFacts): SettingsLoad {
  let removedTemps: string[] = [];
  try {
    removedTemps = removeStrayTemps(path);
    return { ...load(path, host), removedTemps };
  } catch (e) {
    // Only a read the file system refused gets here (permissions, I/O errors): nothing was moved or written.
    const reason = `could not be read (${message(e)})`;
    const notes = [`settings.json ${reason}: Berth uses the default settings and leaves the file alone; check its permissions`];
    return { status: 'corrupt', reason, recoveredFrom: 'defaults', settings: defaultSettings(host), notes, unknownKeys: [], removedTemps };
  }
}

type Read = { kind: 'missing' } | { kind: 'bytes'; bytes: Buffer } | { kind: 'bad'; reason: string };

function readSettingsBytes(path: string): Read {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) return { kind: 'missing' };
  if (!st.isFile()) return { kind: 'bad', reason: 'is not a regular file' };
  if (st.size > MAX_SETTINGS_BYTES) return { kind: 'bad', reason: tooBig(st.size) };
  return { kind: 'bytes', bytes: readFileSync(path) };
}

function load(path: string, host: SettingsHostFacts): LoadBody {
  const read = readSettingsBytes(path);
  if (read.kind === 'missing') return { status: 'missing', settings: defaultSettings(host), notes: [], unknownKeys: [] };
  if (read.kind === 'bad') return recover(path, host, read.reason);
  const found = interpretSettings(read.bytes, host);
  if (found.kind === 'corrupt') return recover(path, host, found.reason);
  if (found.kind === 'future') {
    const notes = [
      `settings.json was written by a newer Berth (settings version ${found.futureVersion}; this Berth knows up to ${SETTINGS_VERSION}). Berth uses what it understands and will not change the file: update Berth to change settings`,
      ...found.notes,
    ];
    return { status: 'future', futureVersion: found.futureVersion, settings: found.settings, notes, unknownKeys: found.unknownKeys };
  }
  const notes = [...found.notes];
  if (found.migratedFrom === undefined) refreshLastGood(path, found.settings, notes);
  else {
    const backup = `${path}.v${found.migratedFrom}.bak`;
    try {
      if (!existsSync(backup)) writeFileAtomic(backup, read.bytes);
      writeSettingsFiles(path, found.settings);
      notes.push(`settings.json was settings version ${found.migratedFrom}; Berth moved it to version ${SETTINGS_VERSION} (${found.applied.join('; ')}) and kept the old file as ${basename(backup)}`);
    } catch (e) {
      notes.push(`settings.json is settings version ${found.migratedFrom}; Berth migrated it in memory but could not save it (${message(e)}), so it will migrate it again next time`);
    }
  }
  return { status: 'ok', ...(found.migratedFrom === undefined ? {} : { migratedFrom: found.migratedFrom }), settings: found.settings, notes, unknownKeys: found.unknownKeys };
}

/** A damaged settings.json: keep it aside, then use the last good settings (restored to settings.json) or the defaults. */
function recover(path: string, host: SettingsHostFacts, reason: string): LoadBody {
  const lastGood = readLastGood(path, host);
  const badFile = badFileName(path);
  // With a last good copy, settings.json is replaced atomically and never missing: the bad one is linked aside first.
  const kept = keepAside(path, badFile, lastGood ? 'copy' : 'move');
  const using = lastGood ? 'the last good settings' : 'the default settings';
  const notes: string[] = [];
  if (kept) {
    notes.push(`settings.json ${reason}. Berth kept it as ${basename(badFile)} and uses ${using}; to get your edits back, fix that file and copy it over settings.json while Berth is not running`);
    if (lastGood) {
      try {
        writeFileAtomic(path, serializeSettings(lastGood));
      } catch (e) {
        notes.push(`Berth could not put the last good settings back into settings.json (${message(e)}); it will try again at the next save`);
      }
    }
  } else {
    notes.push(`settings.json ${reason}, and Berth could not set it aside, so it leaves the file as it is and uses ${using}; move the file away to let Berth save settings again`);
  }
  const settings = lastGood ?? defaultSettings(host);
  return { status: 'corrupt', reason, ...(kept ? { badFile } : {}), recoveredFrom: lastGood ? 'last-good' : 'defaults', settings, notes, unknownKeys: [] };
}

function readLastGood(path: string, host: SettingsHostFacts): Settings | undefined {
  try {
    const read = readSettingsBytes(lastGoodPath(path));
    if (read.kind !== 'bytes') return undefined;
    const found = interpretSettings(read.bytes, host);
    return found.kind === 'ok' ? found.settings : undefined;
  } catch {
    return undefined;
  }
}

function refreshLastGood(path: string, settings: Settings, notes: string[]): void {
  const text = serializeSettings(settings);
  try {
    const lg = lastGoodPath(path);
    const st = statSync(lg, { throwIfNoEntry: false });
    if (st?.isFile() && st.size === Buffer.byteLength(text) && readFileSync(lg, 'utf8') === text) return;
    writeFileAtomic(lg, text);
  } catch (e) {
    notes.push(`Berth could not update ${basename(lastGoodPath(path))} (${message(e)}); a damaged settings.json would fall back to older settings`);
  }
}

function writeSettingsFiles(path: string, settings: Settings): void {
  const text = serializeSettings(settings);
  writeFileAtomic(path, text);
  writeFileAtomic(lastGoodPath(path), text);
}

/**
 * Save settings (already validated against the host by the caller) atomically, then refresh the last
 * good copy. Throws SettingsSaveError, without writing, for a newer Berth's file or invalid settings.
 * A settings.json that is not even JSON with a version is kept aside as .bad-<time> before it is replaced.
 */
export function saveSettings(path: string, settings: Settings): void {
  const checked = settingsSchema.safeParse(settings);
  if (!checked.success) {
    const what = checked.error.issues.map((i) => `${i.path.join('.') || 'settings'}: ${i.message}`).join('; ');
    throw new SettingsSaveError(`Berth did not save the settings because they are not valid (${what}); nothing was changed`);
  }
  guardExisting(path);
  try {
    writeSettingsFiles(path, checked.data);
  } catch (e) {
    throw new SettingsSaveError(`Berth could not save ${path} (${message(e)}); check that the folder is writable and the disk not full, then try again`);
  }
}

function guardExisting(path: string): void {
  let read: Read;
  try {
    read = readSettingsBytes(path);
  } catch (e) {
    throw new SettingsSaveError(`Berth could not read ${path} before replacing it (${message(e)}); check its permissions, then try again`);
  }
  if (read.kind === 'missing') return;
  if (read.kind === 'bytes') {
    const decoded = decodeSettingsFile(read.bytes);
    const version = decoded.ok ? decoded.value.version : undefined;
    if (typeof version === 'number' && Number.isInteger(version) && version > SETTINGS_VERSION) {
      throw new SettingsSaveError(
        `settings.json was written by a newer Berth (settings version ${version}; this one knows up to ${SETTINGS_VERSION}), so Berth will not overwrite it: update Berth to change settings, or move settings.json away to start over with this version`,
      );
    }
    if (typeof version === 'number' && Number.isInteger(version) && version >= 1) return;
  }
  const badFile = badFileName(path);
  if (!keepAside(path, badFile, 'copy')) {
    throw new SettingsSaveError(`settings.json is damaged and Berth could not keep a copy of it before replacing it; move ${path} away, then save again`);
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
