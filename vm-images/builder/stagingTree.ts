// The image's file tree, held as a map from absolute path to entry before it is archived.
// Entries point at files on disk (from unpacked packages) or hold small generated contents.
import { lstatSync, readdirSync, readlinkSync } from 'node:fs';
import { dirname, join, posix } from 'node:path';

export type TreeEntry =
  | { kind: 'file'; mode: number; source: string; size: number; origin: string }
  | { kind: 'file'; mode: number; data: Buffer; origin: string }
  | { kind: 'symlink'; target: string; origin: string }
  | { kind: 'dir'; mode: number; origin: string }
  | { kind: 'chardev'; mode: number; major: number; minor: number; origin: string };

export class StagingTree {
  readonly entries = new Map<string, TreeEntry>();

  /** Add an entry; a second, different entry for the same path is a conflict the YAML must resolve. */
  add(path: string, entry: TreeEntry): void {
    if (!path.startsWith('/') || posix.normalize(path) !== path || (path !== '/' && path.endsWith('/'))) throw new Error(`not a normalised absolute path: ${path}`);
    const prev = this.entries.get(path);
    if (prev && !(prev.kind === 'dir' && entry.kind === 'dir')) {
      if (sameEntry(prev, entry)) return;
      throw new Error(`${path} comes from both ${prev.origin} and ${entry.origin}; keep one`);
    }
    this.entries.set(path, entry);
  }

  has(path: string): boolean {
    return this.entries.has(path);
  }

  /** Resolve symlinks inside the tree (not the host) and return the final path, if it exists. */
  resolve(path: string, depth = 0): string | undefined {
    if (depth > 32) return undefined;
    const parts = path.split('/').filter(Boolean);
    let cur = '';
    for (let i = 0; i < parts.length; i++) {
      cur = `${cur}/${parts[i]}`;
      const e = this.entries.get(cur);
      if (!e) return undefined;
      if (e.kind === 'symlink') {
        const target = e.target.startsWith('/') ? e.target : posix.join(posix.dirname(cur), e.target);
        const rest = parts.slice(i + 1).join('/');
        return this.resolve(posix.normalize(rest ? `${target}/${rest}` : target), depth + 1);
      }
    }
    return cur || '/';
  }
}

function sameEntry(a: TreeEntry, b: TreeEntry): boolean {
  if (a.kind === 'symlink' && b.kind === 'symlink') return a.target === b.target;
  if (a.kind === 'file' && b.kind === 'file' && 'source' in a && 'source' in b) return a.source === b.source;
  return false;
}

/** Turn a glob of one path (`*` and `?` within a segment) into a RegExp. */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (const ch of glob) {
    if (ch === '*') re += '[^/]*';
    else if (ch === '?') re += '[^/]';
    else re += ch.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** Every path in an unpacked package (absolute, as installed), with what it is. */
export function listPackageTree(root: string): Map<string, { kind: 'file' | 'symlink' | 'dir'; mode: number; size: number; target?: string }> {
  const out = new Map<string, { kind: 'file' | 'symlink' | 'dir'; mode: number; size: number; target?: string }>();
  const walk = (rel: string): void => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      if (rel === '' && name.startsWith('.berth')) continue;
      const relPath = `${rel}/${name}`;
      const st = lstatSync(join(root, relPath));
      if (st.isSymbolicLink()) out.set(relPath, { kind: 'symlink', mode: 0o777, size: 0, target: readlinkSync(join(root, relPath)) });
      else if (st.isDirectory()) {
        out.set(relPath, { kind: 'dir', mode: st.mode & 0o7777, size: 0 });
        walk(relPath);
      } else if (st.isFile()) out.set(relPath, { kind: 'file', mode: st.mode & 0o7777, size: st.size });
    }
  };
  walk('');
  return out;
}

/** Copy the paths of `root` matching `glob` into the tree; returns how many matched. */
export function addFromPackage(tree: StagingTree, root: string, listing: ReturnType<typeof listPackageTree>, glob: string, origin: string): number {
  const re = globToRegExp(glob);
  let n = 0;
  for (const [path, info] of listing) {
    if (!re.test(path) || info.kind === 'dir') continue;
    addParents(tree, path, origin);
    if (info.kind === 'symlink') tree.add(path, { kind: 'symlink', target: info.target!, origin });
    else tree.add(path, { kind: 'file', mode: info.mode, source: join(root, path), size: info.size, origin });
    n++;
  }
  return n;
}

/** Make sure every parent directory of `path` is in the tree. */
export function addParents(tree: StagingTree, path: string, origin: string): void {
  const parents: string[] = [];
  for (let d = dirname(path); d !== '/' && !tree.has(d); d = dirname(d)) parents.unshift(d);
  for (const d of parents) tree.add(d, { kind: 'dir', mode: 0o755, origin });
}
