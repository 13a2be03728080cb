// Owns: the history of settings.json as numbered migrations (v1→v2→v3→v4), each a pure function of the
// previous version's object, and migrate(), which brings a file of any known version up to the current one.
import { GiB, MiB, SETTINGS_VERSION } from '../../api/settings.ts';

type Raw = Record<string, unknown>;
/** What a migration may need of the host: v1 shared the home folder without saying so. */
export type MigrationContext = { home: string };
export type Migration = { from: number; to: number; what: string; up: (old: Raw, ctx: MigrationContext) => Raw };

/*
 * v1 (Berth 0.1): { version: 1, cpuCount, memoryMiB, diskGiB, accel, bindAddress, docker: { daemon }, startAtLogin }
 *     The home folder was always shared, writable; quitting always stopped the VM.
 * v2 (Berth 0.2): { version: 2, cpus, memory (bytes), disk (bytes), accel, bindAddress, shares: [{ hostPath, writable }],
 *     docker: { daemon }, startAtLogin, stopVmOnQuit }
 * v3 (Berth 0.3): bindAddress moved to ports.bindAddress; docker.proxy added.
 * v4 (Berth 0.4, current): driver added (qemu, hyperkit, hyperv). Every earlier Berth ran QEMU, and its
 *     disk is QEMU's qcow2, so a migrated file says "qemu". See helpers/api/settings.ts.
 *
 * A migration renames and converts what is there and leaves the rest alone: a value of the wrong type
 * is carried over for validation to name, a key it does not know is carried for the loader to report,
 * and a missing key stays missing (the loader fills defaults and says so).
 */

function v1ToV2(old: Raw, ctx: MigrationContext): Raw {
  const { cpuCount, memoryMiB, diskGiB, ...rest } = old;
  const next: Raw = { ...rest, version: 2 };
  if (cpuCount !== undefined) next.cpus = cpuCount;
  if (memoryMiB !== undefined) next.memory = typeof memoryMiB === 'number' ? memoryMiB * MiB : memoryMiB;
  if (diskGiB !== undefined) next.disk = typeof diskGiB === 'number' ? diskGiB * GiB : diskGiB;
  if (next.shares === undefined) next.shares = [{ hostPath: ctx.home, writable: true }];
  if (next.stopVmOnQuit === undefined) next.stopVmOnQuit = true;
  return next;
}

function v2ToV3(old: Raw): Raw {
  const { bindAddress, ...rest } = old;
  const next: Raw = { ...rest, version: 3 };
  if (bindAddress !== undefined) next.ports = { ...(isRecord(rest.ports) ? rest.ports : {}), bindAddress };
  if (isRecord(rest.docker) && rest.docker.proxy === undefined) next.docker = { ...rest.docker, proxy: {} };
  return next;
}

function v3ToV4(old: Raw): Raw {
  return { ...old, version: 4, ...(old.driver === undefined ? { driver: 'qemu' } : {}) };
}

export const migrations: readonly Migration[] = [
  { from: 1, to: 2, what: 'cpuCount became cpus; memoryMiB and diskGiB became memory and disk in bytes; the home folder became an explicit share', up: v1ToV2 },
  { from: 2, to: 3, what: 'bindAddress moved to ports.bindAddress; docker.proxy was added', up: v2ToV3 },
  { from: 3, to: 4, what: 'driver was added: qemu, which ran every earlier Berth and owns its disk', up: v3ToV4 },
];

export type MigrationOutcome =
  /** At the current version: `applied` lists what was done ([] when the file was current already). */
  | { status: 'current'; settings: Raw; fromVersion: number; applied: string[] }
  /** Written by a newer Berth: not migrated, `settings` is the file's object untouched. */
  | { status: 'future'; futureVersion: number; settings: Raw }
  | { status: 'invalid'; problem: string };

/** Apply the migrations from the object's version to the current one. Pure: `raw` is not changed. */
export function migrate(raw: unknown, ctx: MigrationContext): MigrationOutcome {
  if (!isRecord(raw)) return { status: 'invalid', problem: 'does not hold a settings object' };
  const version = raw.version;
  if (version === undefined) return { status: 'invalid', problem: 'has no "version"' };
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 1) {
    return { status: 'invalid', problem: `has "version": ${JSON.stringify(version) ?? String(version)}, which is not a settings version (a whole number from 1)` };
  }
  if (version > SETTINGS_VERSION) return { status: 'future', futureVersion: version, settings: raw };
  let settings: Raw = raw;
  const applied: string[] = [];
  for (let v = version; v < SETTINGS_VERSION; v++) {
    const step = migrations.find((m) => m.from === v);
    if (!step) return { status: 'invalid', problem: `is settings version ${v}, which Berth has no migration from` };
    settings = step.up(settings, ctx);
    applied.push(`v${step.from}→v${step.to}: ${step.what}`);
  }
  return { status: 'current', settings, fromVersion: version, applied };
}

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
