// Resolves Debian package names to exact versions and downloads the .deb files into a cache.
// Versions come from the host's apt lists; every download is checked against the archive's sha256.
import { createHash } from 'node:crypto';
import { createReadStream, existsSync, mkdirSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './execFile.ts';

export type DebPackage = {
  name: string;
  version: string;
  arch: string;
  sha256: string;
  depends: string;
  /** Absolute path of the downloaded .deb once fetched. */
  debPath: string;
};

const APT_HINT = 'Run `apt-get update` (as root) so apt knows the current Debian packages, then build again.';

/** Parse `apt-cache show` output (RFC 822 stanzas) into one record per stanza. */
export function parseAptStanzas(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  for (const block of text.split(/\n\s*\n/)) {
    const rec: Record<string, string> = {};
    let key = '';
    for (const line of block.split('\n')) {
      if (/^\s/.test(line) && key) rec[key] += `\n${line.trim()}`;
      else {
        const m = /^([A-Za-z0-9-]+):\s?(.*)$/.exec(line);
        if (m) {
          key = m[1]!;
          rec[key] = m[2]!;
        }
      }
    }
    if (rec.Package) out.push(rec);
  }
  return out;
}

/** The file name `apt-get download` gives a package (the epoch colon is written as %3a). */
export function debFileName(name: string, version: string, arch: string): string {
  return `${name}_${version.replace(/:/g, '%3a')}_${arch}.deb`;
}

/** First `linux-image-*` dependency of a kernel metapackage, or undefined for a real image. */
export function kernelImageDependency(depends: string): string | undefined {
  for (const alt of depends.split(',')) {
    const name = alt.split('|')[0]!.trim().split(/\s/)[0]!;
    if (/^linux-image-\d/.test(name)) return name;
  }
  return undefined;
}

export class MissingPackagesError extends Error {
  constructor(readonly names: string[]) {
    super(`apt knows no package named ${names.join(', ')}: check the spelling (apt-cache search NAME), or run \`apt-get update\` if the package is new.`);
    this.name = 'MissingPackagesError';
  }
}

export async function resolvePackages(names: string[]): Promise<Map<string, Omit<DebPackage, 'debPath'>>> {
  const unique = [...new Set(names)];
  // apt-cache show fails as a whole when one name is unknown; `policy` names each one's candidate.
  const policy = await runTool(['apt-cache', 'policy', ...unique], APT_HINT);
  const known = new Set([...policy.matchAll(/^(\S+):\n\s+Installed: .*\n\s+Candidate: (?!\(none\))/gm)].map((m) => m[1]!));
  const unknown = unique.filter((n) => !known.has(n));
  if (unknown.length) throw new MissingPackagesError(unknown);
  const text = await runTool(['apt-cache', 'show', '--no-all-versions', ...unique], APT_HINT);
  const found = new Map<string, Omit<DebPackage, 'debPath'>>();
  for (const rec of parseAptStanzas(text)) {
    const name = rec.Package!;
    if (found.has(name) || !unique.includes(name)) continue;
    found.set(name, {
      name,
      version: rec.Version ?? '',
      arch: rec.Architecture ?? 'amd64',
      sha256: rec.SHA256 ?? '',
      depends: rec.Depends ?? '',
    });
  }
  const missing = unique.filter((n) => !found.has(n));
  if (missing.length) throw new MissingPackagesError(missing);
  return found;
}

export function sha256File(path: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const hash = createHash('sha256');
    createReadStream(path)
      .on('data', (c) => hash.update(c))
      .on('error', reject)
      .on('end', () => resolve(hash.digest('hex')));
  });
}

/** Download the packages missing from `cacheDir` (one apt-get call) and verify every file's sha256. */
export async function fetchPackages(
  pkgs: Omit<DebPackage, 'debPath'>[],
  cacheDir: string,
  onProgress: (done: number, total: number, name: string) => void,
): Promise<DebPackage[]> {
  mkdirSync(cacheDir, { recursive: true });
  const withPath = pkgs.map((p) => ({ ...p, debPath: join(cacheDir, debFileName(p.name, p.version, p.arch)) }));
  const missing = withPath.filter((p) => !existsSync(p.debPath));
  if (missing.length) {
    const tmp = join(cacheDir, '.download');
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp);
    onProgress(0, missing.length, `downloading ${missing.length} packages`);
    await runTool(
      ['apt-get', 'download', '-q', '-o', 'APT::Sandbox::User=root', ...missing.map((p) => `${p.name}=${p.version}`)],
      `Could not download Debian packages. ${APT_HINT} Check that this machine reaches its Debian mirror.`,
      { cwd: tmp },
    );
    for (const f of readdirSync(tmp)) renameSync(join(tmp, f), join(cacheDir, f));
    rmSync(tmp, { recursive: true, force: true });
  }
  let done = 0;
  for (const p of withPath) {
    if (!existsSync(p.debPath)) throw new Error(`apt-get download did not produce ${p.debPath}. ${APT_HINT}`);
    const actual = await sha256File(p.debPath);
    if (p.sha256 && actual !== p.sha256) {
      rmSync(p.debPath, { force: true });
      throw new Error(`${p.name} ${p.version}: sha256 ${actual} does not match the archive's ${p.sha256}; the cached file was removed, build again.`);
    }
    onProgress(++done, withPath.length, p.name);
  }
  return withPath;
}

/** Unpack a .deb once into `extractRoot/<deb file name>`; later builds reuse the directory. */
export async function extractPackage(pkg: DebPackage, extractRoot: string): Promise<string> {
  const dir = join(extractRoot, debFileName(pkg.name, pkg.version, pkg.arch).replace(/\.deb$/, ''));
  if (existsSync(join(dir, '.berth-extracted'))) return dir;
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  await runTool(['dpkg-deb', '-x', pkg.debPath, dir], 'dpkg-deb is needed to unpack Debian packages (apt-get install dpkg).');
  writeFileSync(join(dir, '.berth-extracted'), `${pkg.name} ${pkg.version}\n`);
  return dir;
}
