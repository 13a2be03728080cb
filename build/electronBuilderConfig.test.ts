// Tests: the electron-builder config loads the way electron-builder loads it, passes electron-builder's
// own schema (app-builder-lib's scheme.json and validator), sets every fuse (T-39), names only paths that
// exist after `npm run build`, and — packaged by the real electron-builder around a fake Electron binary —
// puts each resource where the app looks for it.
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, type Stats } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call } from '../helpers/client/controlClient.ts';
import { guestArch, imageDirFor } from '../helpers/client/berthdStarter.ts';
import { helperBinary } from '../helpers/berthd/hypervisors/helperBinaries.ts';
import { appLocations } from '../electron/main/appLocations.ts';
import { trayIconFiles } from '../electron/main/trayIcons.ts';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const CONFIG = 'build/electron-builder.config.mjs';
const require = createRequire(join(root, 'package.json'));

type FileSet = { from: string; to: string; filter?: string[] };
interface Config {
  /** getConfig turns the list of patterns into one FileSet. */
  files: { filter?: string[] }[];
  extraMetadata: { main: string };
  extraResources: FileSet[];
  electronFuses: Record<string, boolean>;
  icon: string;
  [key: string]: unknown;
}

/** electron-builder's own loading (config.ts getConfig) and validation (scheme.json through its ajv validator). */
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, fromOptions: unknown): Promise<Config>;
  validateConfiguration(config: unknown, debugLogger: unknown): Promise<void>;
};
const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
const { FileMatcher } = require('app-builder-lib/out/fileMatcher.js') as {
  FileMatcher: new (from: string, to: string, expand: (s: string) => string, patterns: string[]) => { createFilter(): (file: string, stat: Stats) => boolean };
};
const asar = require('@electron/asar') as { listPackage(archive: string, opts: object): string[]; extractFile(archive: string, file: string): Buffer };

const IMAGE_ARCH = guestArch(process.arch);
/** electron-builder's ${platform} and ${arch} for a build on this machine. */
const expandMacros = (p: string): string => p.replace(/\$\{platform\}/g, process.platform).replace(/\$\{arch\}/g, process.arch);
/** Patterns that match only on the platform named: the rest must match files here. */
const platformOnly: Record<string, NodeJS.Platform> = {
  // node-pty builds spawn-helper beside pty.node on macOS only.
  'build/Release/spawn-helper': 'darwin',
  // node-pty ships prebuilt binaries for macOS and Windows; on Linux it is built (build/Release/pty.node).
  'prebuilds/${platform}-${arch}/**/*': process.platform === 'linux' ? 'darwin' : process.platform,
};
const imageFiles = ['kernel', 'initrd.img', 'manifest.json'].map((f) => join(root, 'vm-images', 'out', IMAGE_ARCH, f));
let config: Config;
let work: string;

beforeAll(async () => {
  // What `npm run build` makes: the bundles, the renderer (built here when missing), the icons (committed).
  await run(process.execPath, [join(root, 'scripts/bundle.mjs')], { cwd: root });
  if (!existsSync(join(root, 'renderer/dist/index.html'))) await run('npm', ['run', 'build:renderer'], { cwd: root, timeout: 170_000 });
  if (!existsSync(join(root, 'dist/bin/linux-x64/berth-ninep-server'))) await run(process.execPath, [join(root, 'scripts/build-go-helpers.mjs')], { cwd: root, timeout: 170_000 });
  config = await getConfig(root, CONFIG, null);
  work = mkdtempSync(join(tmpdir(), 'berth-dist-'));
}, 180_000);
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('build/electron-builder.config.mjs', () => {
  it("passes electron-builder's own schema, and that validator does refuse a bad config", async () => {
    await expect(validateConfiguration(config, new DebugLogger(false))).resolves.toBeUndefined();
    const typo = { ...config, electronFuses: { ...config.electronFuses, runAsNod: false } };
    await expect(validateConfiguration(typo, new DebugLogger(false))).rejects.toThrow(/electronFuses/);
    await expect(validateConfiguration({ ...config, mac: { tagret: 'dmg' } }, new DebugLogger(false))).rejects.toThrow(/mac/);
  });

  it('T-39: the fuses are set as listed', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      loadBrowserProcessSpecificV8Snapshot: false,
      grantFileProtocolExtraPrivileges: false,
    });
    expect(config.asar).toBe(true);
  });

  it('targets: dmg for x64 and arm64, nsis, AppImage and deb', () => {
    expect(config.mac).toMatchObject({ target: [{ target: 'dmg', arch: ['x64', 'arm64'] }] });
    expect(config.win).toMatchObject({ target: [{ target: 'nsis' }] });
    expect((config.linux as { target: { target: string }[] }).target.map((t) => t.target)).toEqual(['AppImage', 'deb']);
  });

  it('the Windows installer carries the Go helpers berthd starts there (hvsock bridge, 9P server for shares)', () => {
    expect(config.win).toMatchObject({ extraResources: [{ from: 'dist/bin/win32-${arch}', to: 'berthd/bin' }] });
    const winBin = join(root, 'dist/bin/win32-x64');
    expect(readdirSync(winBin).sort(), 'run node scripts/build-go-helpers.mjs').toEqual(['berth-ninep-server.exe', 'hvsock-bridge.exe']);
    expect(helperBinary('berth-ninep-server', { env: {}, platform: 'win32', arch: 'x64', here: join(root, 'dist') })).toBe(join(winBin, 'berth-ninep-server.exe'));
  });

  it('every path it names exists after `npm run build` (the VM image after `npm run vm:build`)', () => {
    const missingImage = imageFiles.filter((f) => !existsSync(f));
    expect(missingImage, `the VM image is not built: run \`npm run vm:build\` (missing ${missingImage.join(', ')})`).toEqual([]);
    const appFiles = config.files.flatMap((set) => set.filter ?? []).filter((f) => !f.startsWith('!'));
    expect(appFiles).toContain(config.extraMetadata.main);
    for (const file of appFiles) expect(existsSync(join(root, file)), file).toBe(true);
    expect(existsSync(join(root, config.icon)), config.icon).toBe(true);
    for (const set of config.extraResources) {
      const from = join(root, set.from);
      expect(existsSync(from), set.from).toBe(true);
      const entries = readdirSync(from, { recursive: true }).map((e) => join(from, String(e)));
      expect(entries.length, `${set.from} is empty`).toBeGreaterThan(0);
      // Each pattern on its own, as electron-builder matches it (its FileMatcher, macros for this machine).
      for (const pattern of (set.filter ?? []).filter((p) => !p.startsWith('!'))) {
        const onlyOn = platformOnly[pattern];
        if (onlyOn !== undefined && onlyOn !== process.platform) continue;
        const accepts = new FileMatcher(from, set.to, expandMacros, [pattern]).createFilter();
        expect(entries.some((e) => !lstatSync(e).isDirectory() && accepts(e, lstatSync(e))), `${set.from}: ${pattern}`).toBe(true);
      }
    }
  });

  it('the preload bundle needs nothing but electron (a sandboxed preload cannot require more)', () => {
    const meta = JSON.parse(readFileSync(join(root, 'dist/meta/electron-preload.cjs.json'), 'utf8')) as { outputs: Record<string, { imports: { path: string; external?: boolean }[] }> };
    const imports = Object.values(meta.outputs).flatMap((o) => o.imports.filter((i) => i.external).map((i) => i.path));
    expect([...new Set(imports)]).toEqual(['electron']);
  });
});

describe('packaged by electron-builder around a fake Electron binary (linux dir target)', () => {
  let resources: string;
  let berthHome: string;

  beforeAll(async () => {
    // electronDist replaces the download; a shell script stands in for the binary, so the fuses
    // (which electron-builder writes into the real binary) are left out of this one run.
    const fake = join(work, 'fake-electron');
    mkdirSync(fake, { recursive: true });
    writeFileSync(join(fake, 'electron'), '#!/bin/sh\necho fake electron\n');
    chmodSync(join(fake, 'electron'), 0o755);
    for (const f of ['LICENSE', 'LICENSES.chromium.html']) writeFileSync(join(fake, f), '');
    writeFileSync(join(fake, 'version'), (require('electron/package.json') as { version: string }).version);
    const out = join(work, 'release');
    const wrapper = join(work, 'fake-electron.config.mjs');
    writeFileSync(wrapper, `import config from ${JSON.stringify(join(root, CONFIG))};\nexport default { ...config, electronFuses: null, electronDist: ${JSON.stringify(fake)}, directories: { ...config.directories, output: ${JSON.stringify(out)} } };\n`);
    await run(join(root, 'node_modules/.bin/electron-builder'), ['--linux', 'dir', '--x64', '--config', wrapper, '--publish', 'never'], { cwd: root, timeout: 170_000, env: { ...process.env, CI: '1' } });
    resources = join(out, 'linux-unpacked', 'resources');
    berthHome = mkdtempSync(join(tmpdir(), 'berth-pkg-home-'));
  }, 180_000);

  afterAll(async () => {
    await call(join(berthHome, 'run', 'berth.sock'), 'shutdownDaemon', {}, 3000).catch(() => undefined);
    rmSync(berthHome, { recursive: true, force: true });
  });

  it('app.asar holds only the bundled main and preload, and package.json names the main', () => {
    const archive = join(resources, 'app.asar');
    const listed = asar.listPackage(archive, { isPack: false }).map((p) => p.replace(/\\/g, '/'));
    expect(listed.filter((p) => !['/dist', '/dist/electron'].includes(p)).sort()).toEqual(['/dist/electron/main.cjs', '/dist/electron/preload.cjs', '/package.json']);
    expect(JSON.parse(asar.extractFile(archive, 'package.json').toString('utf8'))).toMatchObject({ main: 'dist/electron/main.cjs' });
  });

  it('each resource is where electron/main/appLocations.ts looks for it', () => {
    const where = appLocations({ packaged: true, resourcesPath: resources, mainDir: join(resources, 'app.asar', 'dist', 'electron') });
    expect(existsSync(join(where.rendererDir, 'index.html'))).toBe(true);
    for (const { file } of trayIconFiles()) expect(existsSync(join(where.iconsDir, file)), file).toBe(true);
    expect(existsSync(where.berthdScript)).toBe(true);
    expect(existsSync(join(resources, 'berthd', 'berth.mjs'))).toBe(true);
    expect(existsSync(join(resources, 'berthd', 'node_modules', 'node-pty', 'package.json'))).toBe(true);
    expect(imageDirFor(where.berthdScript, process.arch)).toBe(join(resources, 'vm-images', IMAGE_ARCH));
    // The Go helpers of this platform only, where helperBinaries.ts looks beside the packaged berthd.
    expect(helperBinary('berth-ninep-server', { env: {}, here: dirname(where.berthdScript) })).toBe(join(resources, 'berthd', 'bin', 'berth-ninep-server'));
    expect(existsSync(join(resources, 'berthd', 'bin', 'berth-ninep-server'))).toBe(true);
    expect(readdirSync(join(resources, 'berthd', 'bin'))).toEqual(['berth-ninep-server']);
    // No tests or debug symbols of node-pty, and no prebuilt binaries of other platforms.
    const pty = readdirSync(join(resources, 'berthd', 'node_modules', 'node-pty'), { recursive: true }).map(String);
    expect(pty.filter((p) => p.endsWith('.test.js') || p.endsWith('.pdb') || p.includes('win32-') || p.includes('darwin-'))).toEqual([]);
  });

  it('the packaged CLI starts the packaged berthd, which loads node-pty and finds the packaged VM image', async () => {
    const env: NodeJS.ProcessEnv = { ...process.env, BERTH_HOME: berthHome };
    delete env.BERTH_IMAGE_DIR;
    const { stdout } = await run(process.execPath, [join(resources, 'berthd', 'berth.mjs'), 'settings', 'get'], { env, timeout: 60_000 });
    expect(stdout).toMatch(/cpus\s+\d/);
    const status = (await call(join(berthHome, 'run', 'berth.sock'), 'status', {}, 5000)) as { berthdPid: number };
    const environ = readFileSync(`/proc/${status.berthdPid}/environ`, 'utf8').split('\0');
    expect(environ).toContain(`BERTH_IMAGE_DIR=${join(resources, 'vm-images', IMAGE_ARCH)}`);
    const { stdout: quit } = await run(process.execPath, [join(resources, 'berthd', 'berth.mjs'), 'quit'], { env, timeout: 60_000 });
    expect(quit).toMatch(/berthd stopped/);
  });
});
