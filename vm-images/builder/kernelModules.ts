// Picks the kernel modules the image needs out of Debian's kernel package: the listed ones plus
// their `depends` from .modinfo, in a load order where every module follows its dependencies.
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { moduleDepends, readModinfo } from './elfReader.ts';

export type ModuleIndex = {
  kernelVersion: string;
  /** module name (dashes as underscores) → path relative to /lib/modules/<kver>/ */
  byName: Map<string, string>;
  builtin: Set<string>;
};

export const normaliseModuleName = (n: string): string => n.replace(/-/g, '_');

export class UnknownModuleError extends Error {
  constructor(
    readonly module: string,
    readonly line: number | undefined,
    kernelVersion: string,
  ) {
    super(`kernel module "${module}" does not exist in kernel ${kernelVersion} (neither as a .ko file nor built in); check its name (modinfo -k ${kernelVersion} NAME)`);
    this.name = 'UnknownModuleError';
  }
}

/** Index an unpacked linux-image package: its one kernel version, its .ko files, its built-ins. */
export function indexKernelPackage(root: string): ModuleIndex {
  const modRoot = join(root, 'lib/modules');
  const versions = existsSync(modRoot) ? readdirSync(modRoot) : [];
  if (versions.length !== 1) throw new Error(`expected one kernel version under ${modRoot}, found ${versions.length}: is this a linux-image package?`);
  const kernelVersion = versions[0]!;
  const base = join(modRoot, kernelVersion);
  const byName = new Map<string, string>();
  const walk = (rel: string): void => {
    for (const ent of readdirSync(join(base, rel), { withFileTypes: true })) {
      const r = rel ? `${rel}/${ent.name}` : ent.name;
      if (ent.isDirectory()) walk(r);
      else if (ent.name.endsWith('.ko')) byName.set(normaliseModuleName(ent.name.slice(0, -3)), r);
    }
  };
  walk('kernel');
  const builtin = new Set<string>();
  const builtinFile = join(base, 'modules.builtin');
  if (existsSync(builtinFile)) {
    for (const line of readFileSync(builtinFile, 'utf8').split('\n')) {
      const m = /([^/]+)\.ko$/.exec(line.trim());
      if (m) builtin.add(normaliseModuleName(m[1]!));
    }
  }
  return { kernelVersion, byName, builtin };
}

/**
 * The modules to copy and load, dependencies first, listed ones in the order given.
 * `readDepends` is injectable so the ordering logic is testable without a kernel package.
 */
export function resolveModuleOrder(
  wanted: string[],
  index: Pick<ModuleIndex, 'byName' | 'builtin' | 'kernelVersion'>,
  readDepends: (relPath: string) => string[],
  lineOf: (i: number) => number | undefined = () => undefined,
): { load: string[]; builtin: string[] } {
  const load: string[] = [];
  const builtin: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const visit = (name: string, chain: string[], line: number | undefined): void => {
    const n = normaliseModuleName(name);
    if (state.get(n) === 'done') return;
    if (state.get(n) === 'visiting') throw new Error(`kernel modules depend on each other in a cycle: ${[...chain, n].join(' → ')}`);
    const rel = index.byName.get(n);
    if (!rel) {
      if (index.builtin.has(n)) {
        state.set(n, 'done');
        builtin.push(n);
        return;
      }
      throw new UnknownModuleError(n, line, index.kernelVersion);
    }
    state.set(n, 'visiting');
    for (const dep of readDepends(rel)) visit(dep, [...chain, n], line);
    state.set(n, 'done');
    load.push(rel);
  };
  wanted.forEach((m, i) => visit(m, [], lineOf(i)));
  return { load, builtin };
}

/** Read a module's `depends` from its .modinfo section. */
export function modinfoDepends(moduleBase: string): (relPath: string) => string[] {
  return (rel) => moduleDepends(readModinfo(readFileSync(join(moduleBase, rel))));
}
