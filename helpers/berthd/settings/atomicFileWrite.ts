// Owns: replacing a small file so that a crash at any moment leaves the old or the new content (temp
// file in the same directory, fsync, rename, fsync the directory), cleaning temps of dead writers, and
// setting a damaged file aside under a name that says when.
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, existsSync, fsyncSync, linkSync, openSync, readdirSync, renameSync, rmSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** `<file>.tmp-<pid>-<hex>`: the pid says whose write it was, so a dead writer's leftovers can be told apart. */
const TEMP = /\.tmp-(\d+)-[0-9a-f]+$/;

export function tempNameFor(path: string): string {
  return `${path}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`;
}

/** Write `data` to `path` atomically and durably; the file gets `mode` (0600: settings are the user's). */
export function writeFileAtomic(path: string, data: string | Buffer, mode = 0o600): void {
  const tmp = tempNameFor(path);
  const fd = openSync(tmp, 'wx', mode);
  try {
    const buf = typeof data === 'string' ? Buffer.from(data) : data;
    for (let at = 0; at < buf.length; ) at += writeSync(fd, buf, at, buf.length - at);
    fsyncSync(fd);
  } catch (e) {
    closeSync(fd);
    rmSync(tmp, { force: true });
    throw e;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dirname(path));
}

/** Make a rename in `dir` durable. Windows cannot open a directory for this, and NTFS journals renames. */
export function fsyncDir(dir: string): void {
  if (process.platform === 'win32') return;
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Remove `<path>…tmp-<pid>-<hex>` files whose writer is dead (a crash mid-save); returns their names. */
export function removeStrayTemps(path: string, alive: (pid: number) => boolean = pidAlive): string[] {
  const base = basename(path);
  const removed: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dirname(path));
  } catch {
    return removed;
  }
  for (const name of names) {
    const m = TEMP.exec(name);
    if (!m || !name.startsWith(`${base}.`)) continue;
    const pid = Number(m[1]);
    if (pid === process.pid || alive(pid)) continue;
    try {
      rmSync(join(dirname(path), name), { force: true });
      removed.push(name);
    } catch {
      /* another cleaner got it, or the directory is read-only: harmless either way */
    }
  }
  return removed;
}

/** `<path>.bad-<ISO time>` with the colons as dashes (Windows forbids them), made unique. */
export function badFileName(path: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/:/g, '-');
  let name = `${path}.bad-${stamp}`;
  for (let n = 2; existsSync(name); n++) name = `${path}.bad-${stamp}-${n}`;
  return name;
}

/**
 * Keep the file at `path` as `aside`. `move` renames it away (the path is then free); `copy` leaves it in
 * place too (a hard link, or a copy where links are not allowed) so that it can be replaced atomically,
 * without a moment when the path is missing. Returns whether the file is safely kept.
 */
export function keepAside(path: string, aside: string, how: 'move' | 'copy'): boolean {
  try {
    if (how === 'move') renameSync(path, aside);
    else {
      try {
        linkSync(path, aside);
      } catch {
        copyFileSync(path, aside); // a filesystem without hard links
        const fd = openSync(aside, 'r');
        try {
          fsyncSync(fd);
        } finally {
          closeSync(fd);
        }
      }
    }
    fsyncDir(dirname(path));
    return true;
  } catch {
    return false;
  }
}
