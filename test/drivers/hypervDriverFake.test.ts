// The Hyper-V driver's host check against a fake powershell (Hyper-V runs on Windows only): Hyper-V off
// or not allowed, the boot medium missing or built from another image, and the one elevated
// registration of the link's service GUID — accepted, or declined with what to do; and the config VHD
// it writes from berthd's config tar before each start.
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HostProblem, type DriverRuntime } from '../../helpers/berthd/hypervisors/driver.ts';
import { hypervBootCmdline, mediumManifestPath, type MediumManifest } from '../../helpers/berthd/hypervisors/hypervBootMedium.ts';
import { hypervDriver, hypervFiles, writeConfigVhd } from '../../helpers/berthd/hypervisors/hypervDriver.ts';
import { powershellRunner } from '../../helpers/berthd/hypervisors/powershellRunner.ts';
import { berthPaths } from '../../helpers/berthd/paths.ts';
import { writeConfigDisk } from '../../helpers/berthd/vm/configDisk.ts';
import { repoRoot } from '../image/imageVm.ts';

const FAKE = join(repoRoot, 'test', 'fakes', 'powershell.mjs');
const GOOD = { edition: 'Microsoft Windows 11 Pro', build: '22631', isAdmin: false, inHyperVAdministrators: true, vmms: 'Running', hypervisorPresent: true, hypervModule: true };
const IMAGE = { cmdline: 'console=ttyS0 quiet', kernelVersion: '6.1.0-57-amd64', artifacts: { kernel: { sha256: 'k'.repeat(64) }, initrd: { sha256: 'i'.repeat(64) } } };
let dir: string;
let logs: string[];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'hvd-'));
  logs = [];
  mkdirSync(join(dir, 'image'));
  writeFileSync(join(dir, 'image', 'manifest.json'), JSON.stringify(IMAGE));
  writeFileSync(join(dir, 'hvsock-bridge.exe'), '');
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function driver(env: NodeJS.ProcessEnv = {}): DriverRuntime {
  const ps = powershellRunner(FAKE, { env: { ...process.env, FAKE_PS_STATE: join(dir, 'state.json'), ...env } });
  return hypervDriver({ paths: berthPaths(join(dir, 'home')), log: (m) => logs.push(m), imageDir: join(dir, 'image'), ps, bridgeBinary: join(dir, 'hvsock-bridge.exe'), host: { platform: 'win32' } });
}

/** The boot medium and its manifest, as `npm run vm:build-hyperv` leaves them beside the image. */
function medium(over: Partial<MediumManifest> = {}): void {
  const iso = hypervFiles(berthPaths(dir), join(dir, 'image')).bootIso;
  copyFileSync(join(dir, 'image', 'manifest.json'), iso);
  const m: MediumManifest = { iso: 'hyperv-boot.iso', bytes: 1, sha256: 's', cmdline: hypervBootCmdline(IMAGE.cmdline), kernelVersion: IMAGE.kernelVersion, image: { kernelSha256: 'k'.repeat(64), initrdSha256: 'i'.repeat(64) }, stub: { package: 'systemd-boot-efi', version: '252', sha256: 'x' }, ...over };
  writeFileSync(mediumManifestPath(iso), JSON.stringify(m));
}

async function problem(d: DriverRuntime): Promise<HostProblem> {
  const e = await d.checkHost().then(() => undefined, (x: unknown) => x);
  expect(e).toBeInstanceOf(HostProblem);
  return e as HostProblem;
}

describe('Hyper-V driver host check (fake powershell)', () => {
  it('fake: Hyper-V off on Windows Home points to QEMU with WHPX; not allowed to manage VMs says how to join the group', async () => {
    medium();
    expect((await problem(driver({ FAKE_PS_FACTS: JSON.stringify({ ...GOOD, edition: 'Microsoft Windows 11 Home', vmms: 'Missing', hypervModule: false }) }))).message).toMatch(/has no Hyper-V: Berth runs the VM with QEMU .*WHPX/);
    const p = await problem(driver({ FAKE_PS_FACTS: JSON.stringify({ ...GOOD, inHyperVAdministrators: false }) }));
    expect(p.hint).toMatch(/Add-LocalGroupMember -SID S-1-5-32-578/);
  });

  it('fake: a missing boot medium, or one built from another image, stops the start with the command that rebuilds it', async () => {
    expect((await problem(driver())).message).toMatch(/hyperv-boot\.iso is missing/);
    medium({ image: { kernelSha256: 'old'.padEnd(64, '0'), initrdSha256: 'i'.repeat(64) } });
    const p = await problem(driver());
    expect(p.message).toMatch(/another build of the VM image/);
    expect(p.hint).toMatch(/npm run vm:build-hyperv/);
  });

  it('fake: the service GUID is registered once, through one elevated prompt explained first; the next start asks nothing', async () => {
    medium();
    await driver().checkHost();
    expect(logs.join('\n')).toMatch(/asking for an administrator once: Berth talks to its VM over a Hyper-V socket/);
    logs = [];
    await driver().checkHost();
    expect(logs).toEqual([]);
  });

  it('fake: a declined prompt fails the start and says why the registration is needed', async () => {
    medium();
    const p = await problem(driver({ FAKE_PS_UAC: 'decline' }));
    expect(p.message).toMatch(/was not registered \(the elevated step ended with 1223\)/);
    expect(p.hint).toMatch(/Accept the administrator prompt/);
  });

  it('refuses to run anywhere but Windows', async () => {
    const d = hypervDriver({ paths: berthPaths(dir), log: () => {}, imageDir: dir, ps: () => Promise.reject(new Error('not called')), host: { platform: 'darwin' } });
    expect((await problem(d)).message).toBe('Hyper-V runs only on Windows');
  });
});

describe('Hyper-V config disk', () => {
  /** The disk's contents as QEMU's own VHD reader (qemu-img, format vpc) gives them. */
  const read = (vhd: string): Buffer => {
    execFileSync('qemu-img', ['convert', '-f', 'vpc', '-O', 'raw', vhd, join(dir, 'out.raw')]);
    return readFileSync(join(dir, 'out.raw'));
  };

  it('is config.vhd beside the data disk: the config tar as a fixed VHD, rewritten in place at each start', () => {
    const paths = berthPaths(join(dir, 'home'));
    const f = hypervFiles(paths, join(dir, 'image'));
    expect(f.configDisk).toBe(join(paths.vmDir, 'config.vhd'));
    mkdirSync(paths.vmDir, { recursive: true });
    writeConfigDisk(paths.configDisk, { hostname: 'hv-one' });
    writeConfigVhd(f.configDisk, paths.configDisk);
    const tar = readFileSync(paths.configDisk);
    expect(read(f.configDisk).subarray(0, tar.length).equals(tar)).toBe(true);
    const inode = statSync(f.configDisk).ino;
    writeConfigDisk(paths.configDisk, { hostname: 'hv-two', daemonJson: { debug: true } });
    writeConfigVhd(f.configDisk, paths.configDisk);
    // Same file (Hyper-V's grant to the VM stays on it), new contents.
    expect(statSync(f.configDisk).ino).toBe(inode);
    const now = readFileSync(paths.configDisk);
    expect(read(f.configDisk).subarray(0, now.length).equals(now)).toBe(true);
    expect(now.toString('latin1')).toContain('hv-two');
  });

  it('without a config tar it is an empty archive: the guest runs on its defaults', () => {
    writeConfigVhd(join(dir, 'config.vhd'), undefined);
    const raw = read(join(dir, 'config.vhd'));
    expect(raw.every((b) => b === 0)).toBe(true);
    expect(raw.length).toBe(17 * 1024 * 1024);
    expect(execFileSync('tar', ['-t', '-f', join(dir, 'out.raw')], { encoding: 'utf8' })).toBe('');
  });
});
