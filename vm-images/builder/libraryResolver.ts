// Closes the image over its shared libraries: every ELF file's interpreter and DT_NEEDED entries
// are found in the staging tree or in the listed library packages — never on the build host.
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { posix } from 'node:path';
import { isElf, readElfInfo } from './elfReader.ts';
import { addParents, type listPackageTree, type StagingTree } from './stagingTree.ts';

export const LIBRARY_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/lib', '/usr/lib'];

export type LibraryPool = {
  /** package name → its unpacked root and listing */
  packages: { name: string; root: string; listing: ReturnType<typeof listPackageTree> }[];
};

export class MissingLibraryError extends Error {
  constructor(
    readonly needer: string,
    readonly soname: string,
    readonly origin: string,
  ) {
    super(
      `${needer} (from ${origin}) needs ${soname}, which no package under \`libraries:\` in berth.yml provides. ` +
        'Add the Debian package that ships it (`dpkg -S` on a Debian machine names it) to `libraries:`.',
    );
    this.name = 'MissingLibraryError';
  }
}

function startsWithElfMagic(path: string): boolean {
  const fd = openSync(path, 'r');
  try {
    const head = Buffer.alloc(4);
    return readSync(fd, head, 0, 4, 0) === 4 && isElf(head);
  } finally {
    closeSync(fd);
  }
}

/** Copy `path` (and the chain of symlinks leading to its file) from a pool package into the tree. */
function copyFromPool(tree: StagingTree, pkg: LibraryPool['packages'][number], path: string, depth = 0): string | undefined {
  if (depth > 16) return undefined;
  const info = pkg.listing.get(path);
  if (!info) return undefined;
  addParents(tree, path, `library package ${pkg.name}`);
  if (info.kind === 'symlink') {
    tree.add(path, { kind: 'symlink', target: info.target!, origin: `library package ${pkg.name}` });
    const target = info.target!.startsWith('/') ? info.target! : posix.join(posix.dirname(path), info.target!);
    return copyFromPool(tree, pkg, posix.normalize(target), depth + 1);
  }
  if (info.kind === 'file') {
    tree.add(path, { kind: 'file', mode: info.mode, source: `${pkg.root}${path}`, size: info.size, origin: `library package ${pkg.name}` });
    return path;
  }
  return undefined;
}

/** Find a library by exact path (interpreter) or by soname in the search dirs, in the tree then the pool. */
function provide(tree: StagingTree, pool: LibraryPool, candidates: string[]): string | undefined {
  for (const c of candidates) {
    const inTree = tree.resolve(c);
    if (inTree && tree.entries.get(inTree)?.kind === 'file') return inTree;
  }
  for (const c of candidates) {
    for (const pkg of pool.packages) {
      const got = copyFromPool(tree, pkg, c);
      if (got) return got;
    }
  }
  return undefined;
}

/**
 * Walk every ELF file in the tree and add what it needs, until nothing new is needed.
 * Returns the libraries added, by path, for the manifest.
 */
export function resolveLibraries(tree: StagingTree, pool: LibraryPool): string[] {
  const added: string[] = [];
  const done = new Set<string>();
  for (;;) {
    const todo = [...tree.entries].filter(([p, e]) => e.kind === 'file' && !done.has(p));
    if (todo.length === 0) return added.sort();
    for (const [path, entry] of todo) {
      done.add(path);
      if (entry.kind !== 'file') continue;
      let buf: Buffer;
      if ('data' in entry) buf = entry.data;
      else if (startsWithElfMagic(entry.source)) buf = readFileSync(entry.source);
      else continue;
      if (!isElf(buf)) continue;
      const info = readElfInfo(buf);
      const wants: { name: string; candidates: string[] }[] = [];
      if (info.interpreter) wants.push({ name: info.interpreter, candidates: [info.interpreter] });
      for (const so of info.needed) {
        const dirs = [...info.runpath.map((d) => d.replace('$ORIGIN', posix.dirname(path))), ...LIBRARY_DIRS];
        wants.push({ name: so, candidates: so.includes('/') ? [so] : dirs.map((d) => `${d}/${so}`) });
      }
      for (const w of wants) {
        const before = tree.entries.size;
        const got = provide(tree, pool, w.candidates);
        if (!got) throw new MissingLibraryError(path, w.name, entry.origin);
        if (tree.entries.size > before) added.push(got);
      }
    }
  }
}
