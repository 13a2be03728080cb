// Builds Berth's VM image from berth.yml: Debian packages → staging tree → sorted cpio → zstd,
// plus the kernel, a formatted data-disk template and a manifest. Same inputs, same bytes; a warm cache
// makes it take seconds.
import { copyFileSync, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { once } from 'node:events';
import { type BuildProgress } from './buildProgress.ts';
import { sortCpioEntries, writeCpio, type CpioEntry } from './cpioWriter.ts';
import { extractPackage, fetchPackages, kernelImageDependency, MissingPackagesError, resolvePackages, sha256File, type DebPackage } from './debianPackages.ts';
import { buildGoProgram } from './goProgram.ts';
import { inittab, modulesList, onbootList, serviceDefinition } from './guestConfigFiles.ts';
import { loadImageSpec, ImageSpecError, type ImageSpec } from './imageSpec.ts';
import { indexKernelPackage, modinfoDepends, resolveModuleOrder, UnknownModuleError } from './kernelModules.ts';
import { resolveLibraries, type LibraryPool } from './libraryResolver.ts';
import { addFromPackage, addParents, globToRegExp, listPackageTree, StagingTree } from './stagingTree.ts';
import { extractVmlinux } from './pvhKernel.ts';
import { buildDataDiskTemplate, DATA_DISK_TEMPLATE, TEMPLATE_BYTES, type TemplateResult } from './dataDiskTemplate.ts';
import { compressInitramfs, compressionName, compressionSuffix, type InitramfsCompression } from './zstdCompress.ts';

export type BuildOptions = {
  specFile: string;
  outDir: string;
  cacheDir: string;
  progress: BuildProgress;
  /** zstd level of the initramfs; without one the initramfs is lz4-compressed (zstdCompress.ts). */
  zstdLevel?: number;
};

export type Manifest = {
  name: string;
  arch: string;
  kernelVersion: string;
  cmdline: string;
  compression: string;
  /** kernel: Debian's bzImage; vmlinux: the same kernel uncompressed, for QEMU's PVH entry (pvhKernel.ts). */
  artifacts: Record<'kernel' | 'initrd' | 'vmlinux', Artifact> & { dataDisk?: Artifact };
  /** The formatted data-disk template (dataDiskTemplate.ts): its virtual size and the mke2fs that made it. */
  dataDiskTemplate?: { virtualBytes: number; mke2fs: string };
  initrdUncompressedBytes: number;
  files: number;
  packages: { name: string; version: string; role: 'kernel' | 'package' | 'library' }[];
  modules: string[];
  /** Tried at boot after `modules`, skipped when they cannot load (drivers of other hypervisors). */
  optionalModules: string[];
  builtinModules: string[];
  libraries: string[];
};

type Artifact = { file: string; bytes: number; sha256: string };

type Located = { spec: ImageSpec; locate: (p: (string | number)[]) => number | undefined; file: string };

const specError = (s: Located, path: (string | number)[], message: string): ImageSpecError =>
  new ImageSpecError(s.file, s.locate(path), message);

export async function buildImage(opts: BuildOptions): Promise<Manifest> {
  const { progress } = opts;
  const vmDir = dirname(resolve(opts.specFile));
  progress.step('reading berth.yml');
  const s: Located = { ...loadImageSpec(opts.specFile), file: opts.specFile };
  const { spec } = s;

  progress.step('resolving Debian packages');
  const { resolved, kernelName } = await resolveNamedPackages(s);
  const debs = await fetchPackages([...resolved.values()], join(opts.cacheDir, 'debs'), (done, total, name) =>
    progress.step('downloading and verifying packages', `${done}/${total} ${name}`),
  );
  const byName = new Map(debs.map((d) => [d.name, d]));
  const roots = new Map<string, string>();
  let n = 0;
  for (const d of debs) {
    progress.step('unpacking packages', `${++n}/${debs.length} ${d.name}`);
    roots.set(d.name, await extractPackage(d, join(opts.cacheDir, 'extract')));
  }

  const tree = new StagingTree();
  for (const d of ['/bin', '/sbin', '/etc', '/lib', '/usr', '/usr/bin', '/usr/sbin', '/usr/lib', '/var']) {
    tree.add(d, { kind: 'dir', mode: 0o755, origin: 'image layout' });
  }

  progress.step('selecting package files');
  spec.packages.forEach((p, i) => {
    const root = roots.get(p.name)!;
    const listing = listPackageTree(root);
    p.files.forEach((glob, j) => {
      if (addFromPackage(tree, root, listing, glob, `package ${p.name}`) === 0) {
        throw specError(s, ['packages', i, 'files', j], `package ${p.name} ${byName.get(p.name)!.version} has no file matching ${glob}`);
      }
    });
  });

  progress.step('kernel modules');
  const kernelRoot = roots.get(kernelName)!;
  const index = indexKernelPackage(kernelRoot);
  const moduleBase = join(kernelRoot, 'lib/modules', index.kernelVersion);
  let order: ReturnType<typeof resolveModuleOrder>;
  let optionalLoad: string[];
  try {
    order = resolveModuleOrder(spec.kernel.modules, index, modinfoDepends(moduleBase), (i) => s.locate(['kernel', 'modules', i]));
    // Optional modules (other hypervisors' drivers): their dependencies not already loaded, in order.
    const all = resolveModuleOrder([...spec.kernel.modules, ...spec.kernel.optionalModules], index, modinfoDepends(moduleBase), (i) =>
      i < spec.kernel.modules.length ? s.locate(['kernel', 'modules', i]) : s.locate(['kernel', 'optionalModules', i - spec.kernel.modules.length]),
    );
    optionalLoad = all.load.filter((rel) => !order.load.includes(rel));
  } catch (e) {
    if (e instanceof UnknownModuleError) throw new ImageSpecError(s.file, e.line, e.message);
    throw e;
  }
  for (const rel of [...order.load, ...optionalLoad]) {
    const path = `/lib/modules/${index.kernelVersion}/${rel}`;
    addParents(tree, path, 'kernel modules');
    tree.add(path, { kind: 'file', mode: 0o644, source: join(moduleBase, rel), size: statSync(join(moduleBase, rel)).size, origin: `kernel ${index.kernelVersion}` });
  }

  for (const [i, b] of spec.build.entries()) {
    progress.step('building Go programs', b.go);
    const out = join(opts.cacheDir, 'build', b.output.replace(/\//g, '_'));
    mkdirSync(dirname(out), { recursive: true });
    try {
      await buildGoProgram(join(vmDir, b.go), out, opts.cacheDir);
    } catch (e) {
      throw specError(s, ['build', i], (e as Error).message);
    }
    addParents(tree, b.output, `build ${b.go}`);
    tree.add(b.output, { kind: 'file', mode: 0o755, source: out, size: statSync(out).size, origin: `build ${b.go}` });
  }

  progress.step('adding files');
  addSpecFiles(s, tree, vmDir);
  addGeneratedFiles(spec, tree, index.kernelVersion, order.load, optionalLoad);

  progress.step('resolving shared libraries');
  const pool: LibraryPool = {
    packages: spec.libraries.map((name) => ({ name, root: roots.get(name)!, listing: listPackageTree(roots.get(name)!) })),
  };
  const libraries = resolveLibraries(tree, pool);

  progress.step('writing the initramfs');
  const entries = sortCpioEntries(toCpioEntries(tree));
  const outDir = opts.outDir;
  mkdirSync(outDir, { recursive: true });
  const cpioPath = join(opts.cacheDir, 'initramfs.cpio');
  const stream = createWriteStream(cpioPath);
  const { bytes, files } = await writeCpio(entries, stream);
  stream.end();
  await once(stream, 'close');
  const cpioSha = await sha256File(cpioPath);
  const compression: InitramfsCompression = opts.zstdLevel === undefined ? { tool: 'lz4' } : { tool: 'zstd', level: opts.zstdLevel };
  const compressed = join(opts.cacheDir, 'zstd', `${cpioSha}-${compressionSuffix(compression)}`);
  if (!existsSync(compressed)) {
    progress.step('compressing the initramfs', `${compressionName(compression)}, ${(bytes / 1e6).toFixed(0)} MB`);
    mkdirSync(dirname(compressed), { recursive: true });
    await compressInitramfs(cpioPath, `${compressed}.tmp`, compression);
    renameSync(`${compressed}.tmp`, compressed);
  }
  progress.step('writing artifacts');
  copyFileSync(compressed, join(outDir, 'initrd.img'));
  copyFileSync(join(kernelRoot, 'boot', `vmlinuz-${index.kernelVersion}`), join(outDir, 'kernel'));
  await extractVmlinux(join(outDir, 'kernel'), join(outDir, 'vmlinux'));
  progress.step('formatting the data-disk template');
  const template = await dataDiskTemplate(opts, outDir, roots, byName);

  const artifact = async (file: string) => ({ file, bytes: statSync(join(outDir, file)).size, sha256: await sha256File(join(outDir, file)) });
  const role = (d: DebPackage): Manifest['packages'][number]['role'] =>
    d.name === kernelName ? 'kernel' : spec.libraries.includes(d.name) ? 'library' : 'package';
  const manifest: Manifest = {
    name: spec.name,
    arch: spec.arch,
    kernelVersion: index.kernelVersion,
    cmdline: spec.kernel.cmdline,
    compression: compressionName(compression),
    artifacts: {
      kernel: await artifact('kernel'),
      initrd: await artifact('initrd.img'),
      vmlinux: await artifact('vmlinux'),
      ...(template.built ? { dataDisk: await artifact(template.file) } : {}),
    },
    ...(template.built ? { dataDiskTemplate: { virtualBytes: TEMPLATE_BYTES, mke2fs: template.mke2fs } } : {}),
    initrdUncompressedBytes: bytes,
    files,
    packages: debs.map((d) => ({ name: d.name, version: d.version, role: role(d) })).sort((a, b) => a.name.localeCompare(b.name)),
    modules: order.load,
    optionalModules: optionalLoad,
    builtinModules: order.builtin,
    libraries,
  };
  writeFileSync(join(outDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  return manifest;
}

/** The data-disk template from the image's own e2fsprogs (its version and mke2fs.conf), or why there is none:
 *  then a stale one is removed and the guest formats a blank disk at its first boot. */
async function dataDiskTemplate(opts: BuildOptions, outDir: string, roots: Map<string, string>, byName: Map<string, DebPackage>): Promise<TemplateResult> {
  const e2fs = byName.get('e2fsprogs');
  const result: TemplateResult = e2fs
    ? await buildDataDiskTemplate({ outDir, workDir: join(opts.cacheDir, 'disk-template'), guestE2fsprogs: e2fs.version, mke2fsConf: join(roots.get('e2fsprogs')!, 'etc', 'mke2fs.conf') })
    : { built: false, why: 'the image has no e2fsprogs' };
  if (!result.built) {
    rmSync(join(outDir, DATA_DISK_TEMPLATE), { force: true });
    opts.progress.step('no data-disk template', ` ${result.why}; the guest formats its disk at first boot`);
  }
  return result;
}

/** Resolve the kernel (following a metapackage) then every package; unknown names point at their line. */
async function resolveNamedPackages(s: Located): Promise<{ resolved: Awaited<ReturnType<typeof resolvePackages>>; kernelName: string }> {
  const lineOfName = (name: string): (string | number)[] => {
    const p = s.spec.packages.findIndex((x) => x.name === name);
    if (p >= 0) return ['packages', p, 'name'];
    const l = s.spec.libraries.indexOf(name);
    return l >= 0 ? ['libraries', l] : ['kernel', 'package'];
  };
  try {
    const meta = await resolvePackages([s.spec.kernel.package]);
    const kernelName = kernelImageDependency(meta.get(s.spec.kernel.package)!.depends) ?? s.spec.kernel.package;
    return { kernelName, resolved: await resolvePackages([kernelName, ...s.spec.packages.map((p) => p.name), ...s.spec.libraries]) };
  } catch (e) {
    if (e instanceof MissingPackagesError) throw specError(s, lineOfName(e.names[0]!), e.message);
    throw e;
  }
}

function addSpecFiles(s: Located, tree: StagingTree, vmDir: string): void {
  const initSource = join(vmDir, s.spec.init);
  if (!existsSync(initSource)) throw specError(s, ['init'], `${s.spec.init} does not exist in vm-images/`);
  tree.add('/init', { kind: 'file', mode: 0o755, source: initSource, size: statSync(initSource).size, origin: 'init' });
  s.spec.files.forEach((f, i) => {
    const origin = `files[${i}] ${f.path}`;
    const mode = f.mode ? parseInt(f.mode, 8) : undefined;
    addParents(tree, f.path, origin);
    if (f.source !== undefined) {
      const src = join(vmDir, f.source);
      if (!existsSync(src)) throw specError(s, ['files', i, 'source'], `${f.source} does not exist in vm-images/`);
      tree.add(f.path, { kind: 'file', mode: mode ?? 0o644, source: src, size: statSync(src).size, origin });
    } else if (f.contents !== undefined) {
      tree.add(f.path, { kind: 'file', mode: mode ?? 0o644, data: Buffer.from(f.contents), origin });
    } else if (f.symlink !== undefined) {
      tree.add(f.path, { kind: 'symlink', target: f.symlink, origin });
    } else if (f.directory) {
      tree.add(f.path, { kind: 'dir', mode: mode ?? 0o755, origin });
    } else if (f.concat !== undefined) {
      const re = globToRegExp(f.concat);
      const parts = [...tree.entries]
        .filter(([p, e]) => re.test(p) && e.kind === 'file' && 'source' in e)
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([, e]) => readFileSync((e as { source: string }).source));
      if (parts.length === 0) throw specError(s, ['files', i, 'concat'], `no file in the image matches ${f.concat}`);
      tree.add(f.path, { kind: 'file', mode: mode ?? 0o644, data: Buffer.concat(parts), origin });
    }
  });
}

function addGeneratedFiles(spec: ImageSpec, tree: StagingTree, kernelVersion: string, load: string[], optional: string[]): void {
  const gen = (path: string, text: string, mode = 0o644): void => {
    addParents(tree, path, 'generated');
    tree.add(path, { kind: 'file', mode, data: Buffer.from(text), origin: 'generated from berth.yml' });
  };
  gen('/etc/inittab', inittab(spec));
  gen('/etc/berth/onboot.list', onbootList(spec));
  gen('/etc/berth/modules.list', modulesList(kernelVersion, load));
  gen('/etc/berth/modules-optional.list', modulesList(kernelVersion, optional));
  for (const svc of spec.services) gen(`/etc/berth/services/${svc.name}`, serviceDefinition(svc));
  addParents(tree, '/dev/console', 'generated');
  tree.add('/dev/console', { kind: 'chardev', mode: 0o600, major: 5, minor: 1, origin: 'generated' });
}

function toCpioEntries(tree: StagingTree): CpioEntry[] {
  return [...tree.entries].map(([path, e]): CpioEntry => {
    const rel = path.slice(1);
    switch (e.kind) {
      case 'dir':
        return { path: rel, kind: 'dir', mode: e.mode };
      case 'symlink':
        return { path: rel, kind: 'symlink', mode: 0o777, target: e.target };
      case 'chardev':
        return { path: rel, kind: 'chardev', mode: e.mode, rdevMajor: e.major, rdevMinor: e.minor };
      case 'file':
        return 'data' in e ? { path: rel, kind: 'file', mode: e.mode, data: e.data } : { path: rel, kind: 'file', mode: e.mode, source: e.source, size: e.size };
    }
  });
}
