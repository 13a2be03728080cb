// Builds Hyper-V's boot medium on a Linux build machine (hypervBootMedium.ts plans it): fetches
// systemd's EFI stub from Debian (apt-get download, sha256-checked, dpkg-deb -x), runs objcopy, mtools
// and xorriso with argv arrays, checks what they made, and writes the ISO and its manifest beside the image.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { promisify } from 'node:util';
import { ESP_IN_ISO, espArgv, mediumManifestPath, type ImageManifest, type MediumManifest, espSectors, hypervBootCmdline, isoArgv, objcopyArgv, osRelease, STUB_PACKAGE, STUB_PATH, ukiLayout, type UkiPart } from './hypervBootMedium.ts';
import { readPeImage, sectionBytes } from './peImage.ts';

const execFileAsync = promisify(execFile);
const TOOLS_HINT = 'install the build tools: sudo apt-get install binutils mtools xorriso (scripts/debian-packages.txt)';

export type BootMediumManifest = MediumManifest & { file: string };

async function tool(argv: string[], env?: NodeJS.ProcessEnv, cwd?: string): Promise<string> {
  const [cmd, ...args] = argv;
  try {
    const { stdout } = await execFileAsync(cmd!, args, { maxBuffer: 16 * 1024 * 1024, env: { ...process.env, ...env }, cwd });
    return stdout;
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stderr?: string };
    if (err.code === 'ENOENT') throw new Error(`${cmd} is not installed; ${TOOLS_HINT}`, { cause: e });
    throw new Error(`${argv.join(' ')} failed: ${String(err.stderr ?? err.message).trim().split('\n').slice(-4).join(' / ')}`, { cause: e });
  }
}

const sha256 = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

/** systemd-boot-efi from Debian into `cacheDir` (debs/, extract/), checked against the archive's sha256. */
export async function fetchStub(cacheDir: string): Promise<{ path: string; version: string; sha256: string }> {
  const show = await tool(['apt-cache', 'show', '--no-all-versions', STUB_PACKAGE]).catch((e: Error) => {
    throw new Error(`${e.message}; run apt-get update so apt knows ${STUB_PACKAGE}`);
  });
  const field = (k: string): string => new RegExp(`^${k}: (.+)$`, 'm').exec(show)?.[1]?.trim() ?? '';
  const version = field('Version');
  const want = field('SHA256');
  if (!version || !want) throw new Error(`apt-cache show ${STUB_PACKAGE} gave no version or SHA256; run apt-get update`);
  const name = `${STUB_PACKAGE}_${version.replace(/:/g, '%3a')}_${field('Architecture') || 'amd64'}`;
  const debs = join(cacheDir, 'debs');
  const deb = join(debs, `${name}.deb`);
  if (!existsSync(deb)) {
    mkdirSync(debs, { recursive: true });
    const tmp = mkdtempSync(join(debs, '.download-'));
    try {
      await tool(['apt-get', 'download', '-q', '-o', 'APT::Sandbox::User=root', `${STUB_PACKAGE}=${version}`], undefined, tmp);
      const got = readdirSync(tmp).find((f) => f.endsWith('.deb'));
      if (!got) throw new Error(`apt-get download ${STUB_PACKAGE} produced no .deb`);
      renameSync(join(tmp, got), deb);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  }
  const got = sha256(deb);
  if (got !== want) {
    rmSync(deb, { force: true });
    throw new Error(`${deb}: sha256 ${got} is not the archive's ${want}; the file was removed, build again`);
  }
  const dir = join(cacheDir, 'extract', name);
  if (!existsSync(join(dir, '.berth-extracted'))) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    await tool(['dpkg-deb', '-x', deb, dir]);
    writeFileSync(join(dir, '.berth-extracted'), `${STUB_PACKAGE} ${version}\n`);
  }
  const path = join(dir, STUB_PATH);
  if (!existsSync(path)) throw new Error(`${STUB_PACKAGE} ${version} has no ${STUB_PATH}`);
  return { path, version, sha256: got };
}

export type BuildOptions = { imageDir: string; cacheDir: string; out: string; cmdline?: string; log?: (m: string) => void };

/** Build the ISO at `out` (and `out` with .json for its manifest) from the image in `imageDir`. */
export async function buildHypervBootMedium(o: BuildOptions): Promise<BootMediumManifest> {
  const log = o.log ?? (() => {});
  const image = JSON.parse(readFileSync(join(o.imageDir, 'manifest.json'), 'utf8')) as ImageManifest;
  const kernel = join(o.imageDir, 'kernel');
  const initrd = join(o.imageDir, 'initrd.img');
  const cmdline = o.cmdline ?? hypervBootCmdline(image.cmdline);
  const stub = await fetchStub(o.cacheDir);
  log(`stub: ${STUB_PACKAGE} ${stub.version}`);
  const work = mkdtempSync(join(tmpdir(), 'berth-hyperv-boot-'));
  try {
    const osrel = join(work, 'os-release');
    const cmd = join(work, 'cmdline');
    writeFileSync(osrel, osRelease(image.kernelVersion));
    writeFileSync(cmd, cmdline);
    const parts: UkiPart[] = [
      { name: '.osrel', file: osrel, bytes: statSync(osrel).size },
      { name: '.cmdline', file: cmd, bytes: statSync(cmd).size },
      { name: '.linux', file: kernel, bytes: statSync(kernel).size },
      { name: '.initrd', file: initrd, bytes: statSync(initrd).size },
    ];
    const uki = join(work, 'BOOTX64.EFI');
    await tool(objcopyArgv(stub.path, ukiLayout(readPeImage(readFileSync(stub.path)), parts), uki));
    checkUki(readFileSync(uki), cmdline, parts);
    log(`unified kernel image: ${statSync(uki).size} bytes`);

    const root = join(work, 'iso');
    mkdirSync(join(root, 'EFI'), { recursive: true });
    const esp = join(root, ESP_IN_ISO);
    for (const argv of espArgv(esp, uki, espSectors(statSync(uki).size))) await tool(argv, { MTOOLS_SKIP_CHECK: '1' });
    const copied = await tool(['mdir', '-i', esp, '-b', '::/EFI/BOOT'], { MTOOLS_SKIP_CHECK: '1' });
    if (!/BOOTX64\.EFI/i.test(copied)) throw new Error(`the FAT image holds no \\EFI\\BOOT\\BOOTX64.EFI (${copied.trim()})`);

    const tmpOut = `${o.out}.tmp`;
    rmSync(tmpOut, { force: true });
    await tool(isoArgv(root, tmpOut), { SOURCE_DATE_EPOCH: String(Math.floor(statSync(kernel).mtimeMs / 1000)) });
    const report = await tool(['xorriso', '-indev', tmpOut, '-report_el_torito', 'plain']);
    if (!/El Torito boot img\s*:\s*1\s+UEFI\s+y\s+none/.test(report) || !report.includes(`/${ESP_IN_ISO}`)) throw new Error(`the ISO has no UEFI El Torito entry for /${ESP_IN_ISO}:\n${report}`);
    renameSync(tmpOut, o.out);
    const manifest: MediumManifest = {
      iso: basename(o.out),
      bytes: statSync(o.out).size,
      sha256: sha256(o.out),
      cmdline,
      kernelVersion: image.kernelVersion,
      image: { kernelSha256: image.artifacts.kernel.sha256, initrdSha256: image.artifacts.initrd.sha256 },
      stub: { package: STUB_PACKAGE, version: stub.version, sha256: stub.sha256 },
    };
    writeFileSync(mediumManifestPath(o.out), `${JSON.stringify(manifest, null, 2)}\n`);
    return { ...manifest, file: o.out };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/** The UKI objcopy wrote holds each part whole, the command line exactly, and is still an x64 EFI program. */
export function checkUki(b: Buffer, cmdline: string, parts: UkiPart[]): void {
  const pe = readPeImage(b);
  if (pe.machine !== 0x8664 || pe.subsystem !== 10) throw new Error(`the UKI is not an x86-64 EFI application (machine 0x${pe.machine.toString(16)}, subsystem ${pe.subsystem})`);
  for (const p of parts) {
    const s = pe.sections.find((x) => x.name === p.name);
    if (!s) throw new Error(`the UKI has no ${p.name} section`);
    if (s.virtualSize !== p.bytes) throw new Error(`the UKI's ${p.name} holds ${s.virtualSize} bytes, not ${p.bytes}`);
  }
  const got = sectionBytes(b, pe.sections.find((x) => x.name === '.cmdline')!).toString('utf8');
  if (got !== cmdline) throw new Error(`the UKI's command line is ${JSON.stringify(got)}, not ${JSON.stringify(cmdline)}`);
}
