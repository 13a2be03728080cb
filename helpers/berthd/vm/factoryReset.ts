// Owns: the factory reset (T-22): a plan that lists only Berth's own files inside $BERTH_HOME (lstat only,
// never following a link), and a performer that unlinks one planned entry at a time, never a folder's contents.
//
// Safety rules:
//   - nothing outside $BERTH_HOME is listed (the one exception: sockets in Berth's private short socket folder
//     in the temp dir, used when $BERTH_HOME is too long for a socket path; only socket entries are taken there);
//   - a symbolic link is listed as itself (0 bytes) and only the link is removed; a folder that is a link (vm/,
//     logs/) is listed as the link and never entered; run/ as a link is left whole, because the lock is behind it;
//   - the berthd lock file and the control socket are never listed (berthd may be the one resetting);
//   - performReset plans again and deletes only what is in both plans with the same type, so a stale, edited or
//     forged plan can delete nothing that is not Berth's own file now.
import { lstatSync, readdirSync, readlinkSync, statSync, unlinkSync, type Stats } from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, sep } from 'node:path';
import type { ResetItem, ResetPlan, ResetResult } from '../../api/diagnostics.ts';
import { formatSize } from '../../api/settings.ts';
import type { BerthPaths } from '../paths.ts';
import { partialDiskPath } from './diskTemplate.ts';

type Kind = ResetItem['kind'];

export const SETTINGS_FILE = 'settings.json';
/** settings.json and its companions (settingsStore.ts): .last-good, .bad-<time>, .v<n>.bak, .tmp-<pid>-<hex>. */
const SETTINGS_FILES = /^settings\.json(\.last-good|\.bad-.+|\.v\d+\.bak|\.tmp-.+)?$/;
/** The files berthd and QEMU keep in run/ (the lock and the sockets are handled apart). */
const runFiles = (paths: BerthPaths): [string, string][] => [
  [paths.qemuPidFile, "QEMU's process id file"],
  [join(paths.runDir, 'accel-probe.json'), "the remembered acceleration probe (whether KVM hung since the host's boot)"],
  [paths.vmRecord, "the running VM's record (for berthd to take the VM over)"],
  [paths.qemuStderrLog, "QEMU's error output"],
];
const LOGS: Record<string, string> = { 'console.log': "the VM console's log", 'berthd.log': "berthd's log" };

function lstat(path: string): Stats | undefined {
  try {
    return lstatSync(path, { throwIfNoEntry: false });
  } catch {
    return undefined;
  }
}

function kindOf(st: Stats): Kind | undefined {
  return st.isSymbolicLink() ? 'symlink' : st.isFile() ? 'file' : st.isSocket() ? 'socket' : undefined;
}

function linkTarget(path: string): string {
  try {
    return readlinkSync(path);
  } catch {
    return 'somewhere unreadable';
  }
}

/** `path` is strictly below `home`, by name (no `..`, not home itself). */
export function isInside(home: string, path: string): boolean {
  const r = relative(home, path);
  return r !== '' && !isAbsolute(r) && !r.split(sep).includes('..');
}

type DirState = { ok: true } | { ok: false; link?: string };

/** Every folder from `home` down to `dir` is a real folder (no link, no file); else the first link met, if any. */
function realFolders(home: string, dir: string): DirState {
  if (dir === home) return { ok: true };
  if (!isInside(home, dir)) return { ok: false };
  let at = home;
  for (const part of relative(home, dir).split(sep)) {
    at = join(at, part);
    const st = lstat(at);
    if (st?.isSymbolicLink()) return { ok: false, link: at };
    if (!st?.isDirectory()) return { ok: false };
  }
  return { ok: true };
}

class Planner {
  readonly items: ResetItem[] = [];
  private readonly never: Set<string>;

  constructor(private readonly paths: BerthPaths) {
    this.never = new Set([paths.lockFile, paths.controlSocket]);
  }

  /** List `path` when it is one of `kinds` (or a link); `what` says what it is. */
  add(path: string, what: string, kinds: Kind[]): void {
    const st = lstat(path);
    const kind = st && kindOf(st);
    if (!st || !kind || this.never.has(path) || (kind !== 'symlink' && !kinds.includes(kind))) return;
    // Inside home, every folder above the entry must be a real one (outside, only the checked socket folder is read).
    if (isInside(this.paths.home, path) ? !realFolders(this.paths.home, dirname(path)).ok : dirname(path) !== this.paths.socketDir) return;
    if (kind === 'symlink') {
      this.items.push({ path, what: `a symbolic link (to ${linkTarget(path)}) where ${what} would be; only the link is removed, never what it points to`, bytes: 0, kind });
      return;
    }
    const blocks = Number.isFinite(st.blocks) ? st.blocks : 0;
    this.items.push({ path, what, bytes: blocks * 512, kind });
  }

  /** A known folder inside home: true when it is a real folder to look into; a link is listed itself when `listLink`. */
  folder(dir: string, what: string, listLink: boolean): boolean {
    const state = realFolders(this.paths.home, dir);
    if (state.ok) return true;
    if (listLink && state.link === dir) this.add(dir, what, []);
    return false;
  }

  names(dir: string): string[] {
    try {
      return readdirSync(dir).sort();
    } catch {
      return [];
    }
  }
}

/** Berth's own files that exist now; deletes nothing (it lstats and reads folders only). */
export function planReset(paths: BerthPaths, opts: { includeSettings: boolean }): ResetPlan {
  const home = paths.home;
  const p = new Planner(paths);
  // $BERTH_HOME itself may be a link the user made (to a bigger disk): what is inside it is still Berth's.
  const homeOk = (() => {
    try {
      return statSync(home, { throwIfNoEntry: false })?.isDirectory() === true;
    } catch {
      return false;
    }
  })();
  const socketsOutside = paths.socketDir !== paths.runDir && privateSocketDir(paths);
  if (homeOk) {
    if (p.folder(paths.vmDir, 'the VM folder', true)) {
      p.add(paths.dataDisk, "the VM's disk: images, containers and volumes", ['file']);
      p.add(partialDiskPath(paths.dataDisk), "a VM disk Berth was making from the image's template when it stopped", ['file']);
      p.add(paths.configDisk, "the VM's configuration disk (made again at every start)", ['file']);
    }
    if (p.folder(paths.runDir, 'the run folder', false)) {
      for (const [path, what] of runFiles(paths)) if (dirname(path) === paths.runDir) p.add(path, what, ['file']);
      for (const name of p.names(paths.runDir)) if (name.endsWith('.sock')) p.add(join(paths.runDir, name), 'a socket berthd or QEMU left (no data)', ['socket']);
    }
    if (socketsOutside) {
      for (const name of p.names(paths.socketDir)) if (name.endsWith('.sock')) p.add(join(paths.socketDir, name), 'a socket berthd or QEMU left (no data)', ['socket']);
    }
    if (p.folder(paths.logsDir, 'the logs folder', true)) {
      for (const name of p.names(paths.logsDir)) if (name.endsWith('.log')) p.add(join(paths.logsDir, name), LOGS[name] ?? 'a log file', ['file']);
    }
    const settingsDir = dirname(paths.settingsFile);
    if (opts.includeSettings && basename(paths.settingsFile) === SETTINGS_FILE && p.folder(settingsDir, 'the settings folder', false)) {
      for (const name of p.names(settingsDir)) if (SETTINGS_FILES.test(name)) p.add(join(settingsDir, name), settingsWhat(name), ['file']);
    }
  }
  // The last guard: whatever the folders above did, nothing outside home (bar that socket folder's entries) is listed.
  const items = p.items.filter((i) => isInside(home, i.path) || (socketsOutside && dirname(i.path) === paths.socketDir && i.kind !== 'file'));
  return { home, includeSettings: opts.includeSettings, items, totalBytes: items.reduce((n, i) => n + i.bytes, 0) };
}

/** The temp-dir socket folder counts only when it is a real folder of this user's that nobody else can enter. */
function privateSocketDir(paths: BerthPaths): boolean {
  if (isInside(paths.home, paths.socketDir)) return realFolders(paths.home, paths.socketDir).ok;
  const st = lstat(paths.socketDir);
  const uid = process.getuid?.();
  return !!st && st.isDirectory() && (uid === undefined || st.uid === uid) && (st.mode & 0o077) === 0;
}

function settingsWhat(name: string): string {
  if (name === SETTINGS_FILE) return 'your settings';
  if (name.endsWith('.last-good')) return 'the last good copy of your settings';
  if (name.includes('.bad-')) return 'a damaged settings file Berth set aside';
  if (name.endsWith('.bak')) return 'your settings as they were before Berth migrated them';
  return 'a settings save that did not finish';
}

/** Unlink the planned entries that are, at this moment, still Berth's own files of the planned type. */
export function performReset(plan: ResetPlan, paths: BerthPaths): ResetResult {
  const now = new Map(planReset(paths, { includeSettings: true }).items.map((i) => [i.path, i]));
  const deleted: ResetResult['deleted'] = [];
  const kept: string[] = [];
  const links: string[] = [];
  for (const item of plan.items) {
    const cur = now.get(item.path);
    if (!cur) {
      const why = whyNotNow(item.path, paths.home);
      if (why) kept.push(`${item.path}: ${why}`);
      continue;
    }
    if (cur.kind !== item.kind) {
      kept.push(`${item.path}: it was a ${item.kind} when the reset was planned and is a ${cur.kind} now, so Berth left it; run the reset again to see the new plan`);
      continue;
    }
    const target = cur.kind === 'symlink' ? linkTarget(item.path) : undefined;
    try {
      unlinkSync(item.path); // one directory entry; never recursive, never through a link
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT') kept.push(`${item.path}: Berth could not delete it (${code ?? (e as Error).message}); check its permissions, then run the reset again`);
      continue;
    }
    deleted.push({ path: item.path, bytes: cur.bytes });
    if (target !== undefined) links.push(`${target}: what the link ${item.path} pointed to; only the link was removed`);
  }
  kept.push(...links);
  const planned = new Set(plan.items.map((i) => i.path));
  const settingsDir = dirname(paths.settingsFile);
  for (const name of safeNames(settingsDir)) {
    const path = join(settingsDir, name);
    if (SETTINGS_FILES.test(name) && !planned.has(path)) kept.push(`${path}: ${settingsWhat(name)} (a reset that includes settings deletes it)`);
  }
  if (lstat(paths.lockFile)) kept.push(`${paths.lockFile}: berthd's lock, kept while berthd may be running`);
  if (lstat(paths.controlSocket)) kept.push(`${paths.controlSocket}: berthd's control socket`);
  kept.push(`everything outside ${paths.home}, including your shares, and any file in it that Berth did not make`);
  return { deleted, kept };
}

function whyNotNow(path: string, home: string): string | undefined {
  const st = lstat(path);
  if (!st) return undefined; // already gone: nothing to do, nothing kept
  if (st.isDirectory()) return 'it is a folder now; Berth deletes no folders, so it left it';
  if (!isInside(home, path)) return `it is outside ${home}, so it is not Berth's to delete; Berth left it`;
  return "it is not one of Berth's own files now (behind a symbolic link, or of another kind), so Berth left it";
}

function safeNames(dir: string): string[] {
  try {
    return readdirSync(dir).sort();
  } catch {
    return [];
  }
}

/** The lines a confirmation prompt shows before the reset. */
export function describeResetPlan(plan: ResetPlan): string[] {
  const keep = `will keep: ${plan.includeSettings ? '' : `${SETTINGS_FILE}, `}your shares and everything outside ${plan.home}`;
  if (plan.items.length === 0) return [`nothing to delete: ${plan.home} holds none of Berth's files`, keep];
  return [
    ...plan.items.map((i) => `will delete: ${i.path}: ${i.what} (${formatSize(i.bytes)})`),
    `in all: ${formatSize(plan.totalBytes)} freed`,
    keep,
  ];
}
