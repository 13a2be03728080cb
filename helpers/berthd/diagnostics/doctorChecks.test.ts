// Owns: tests of doctorChecks.ts (each check's ok, warn and fail from hand-made facts) and of doctorFacts.ts
// on this machine (a temp BERTH_HOME: the facts' shape, QEMU found exactly when `which` finds it).
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { doctorReportSchema, type DoctorCheck } from '../../api/diagnostics.ts';
import { defaultSettings, GiB } from '../../api/settings.ts';
import { berthPaths } from '../paths.ts';
import type { SettingsLoad } from '../settings/settingsStore.ts';
import { doctor, doctorChecks, type DoctorFacts, type DoctorSettingsFact, type UnixSocketFact } from './doctorChecks.ts';
import { gatherDoctorFacts, readDockerConfig, runDoctor } from './doctorFacts.ts';

const SOCK = '/home/ada/.berth/run/docker.sock';
const mine = { mode: 0o600, uid: 1000, gid: 1000 };

/** Facts whose Docker endpoint is a unix socket (Linux, macOS). */
type UnixFacts = DoctorFacts & { socket: UnixSocketFact };

/** A Linux host where everything is right and the VM runs. */
function healthy(): UnixFacts {
  return {
    platform: 'linux',
    uid: 1000,
    home: '/home/ada/.berth',
    qemu: { state: 'ok', version: 'QEMU emulator version 8.2.2 (Debian 1:8.2.2+ds-0ubuntu1)' },
    qemuImg: { state: 'ok', version: 'qemu-img version 8.2.2' },
    kvm: { device: { type: 'other', mode: 0o660, uid: 0, gid: 108 }, accessible: true, knownHanging: false },
    accelSetting: 'auto',
    socket: { path: SOCK, pathBytes: SOCK.length, maxBytes: 107, file: { type: 'socket', ...mine }, dir: '/home/ada/.berth/run', dirFact: { type: 'directory', ...mine, mode: 0o700 } },
    docker: {
      cli: { state: 'ok', version: 'Docker version 28.2.2, build e6534b4' },
      defaultSocket: '/var/run/docker.sock',
      defaultSocketFact: { type: 'missing' },
      defaultSocketIsBerth: false,
      berthHost: `unix://${SOCK}`,
      config: { path: '/home/ada/.docker/config.json', currentContext: 'berth' },
      berthContextHost: `unix://${SOCK}`,
    },
    disk: { path: '/home/ada/.berth', freeBytes: 100 * GiB, totalBytes: 500 * GiB },
    guestClockDriftSeconds: 0.2,
    settings: { status: 'ok', notes: [], unknownKeys: [] },
    vm: { state: 'running', degraded: [], since: 0 },
  };
}

function check(f: DoctorFacts, id: string): DoctorCheck {
  const c = doctorChecks(f).find((x) => x.id === id);
  if (!c) throw new Error(`no check ${id}`);
  return c;
}
/** Healthy facts with `change` applied. */
function with_(change: (f: UnixFacts) => void): DoctorFacts {
  const f = healthy();
  change(f);
  return f;
}

describe('doctorChecks', () => {
  it('a healthy host: every check ok, no fixes, and the report validates', () => {
    const report = doctor(healthy());
    expect(report.checks.map((c) => [c.id, c.status])).toStrictEqual(
      ['qemu', 'qemu-img', 'accel', 'docker-socket', 'docker-cli', 'docker-default-socket', 'docker-host', 'docker-context', 'host-disk', 'guest-clock', 'settings', 'vm'].map((id) => [id, 'ok']),
    );
    expect(report.checks.every((c) => c.fix === undefined)).toBe(true);
    expect(report.ok).toBe(true);
    expect(doctorReportSchema.parse(report)).toStrictEqual(report);
    expect(check(healthy(), 'qemu').detail).toContain('8.2.2');
  });

  it('qemu: missing fails with the apt-get line; a broken one fails asking for a reinstall; qemu-img likewise', () => {
    const missing = check(with_((f) => (f.qemu = { state: 'missing' })), 'qemu');
    expect(missing.status).toBe('fail');
    expect(missing.fix).toContain('sudo apt-get install qemu-system-x86 qemu-utils');
    const broken = check(with_((f) => (f.qemu = { state: 'broken', error: 'no answer within 10 s' })), 'qemu');
    expect([broken.status, broken.detail.includes('no answer within 10 s'), broken.fix?.startsWith('reinstall')]).toStrictEqual(['fail', true, true]);
    const img = check(with_((f) => (f.qemuImg = { state: 'missing' })), 'qemu-img');
    expect([img.status, img.fix?.includes('qemu-utils')]).toStrictEqual(['fail', true]);
    expect(check(with_((f) => ((f.platform = 'darwin'), (f.qemu = { state: 'missing' }))), 'qemu').fix).toContain('brew install qemu');
    expect(doctor(with_((f) => (f.qemu = { state: 'missing' }))).ok).toBe(false);
  });

  it('accel: no /dev/kvm warns of slower TCG; not accessible warns with usermod; a remembered hang warns of the fallback', () => {
    const none = check(with_((f) => (f.kvm = { device: { type: 'missing' }, accessible: false, knownHanging: false })), 'accel');
    expect([none.status, /TCG emulation.*slower/.test(none.detail), none.fix?.includes('modprobe')]).toStrictEqual(['warn', true, true]);
    const noAccess = check(with_((f) => (f.kvm.accessible = false)), 'accel');
    expect([noAccess.status, noAccess.fix?.includes('sudo usermod -aG kvm $USER')]).toStrictEqual(['warn', true]);
    expect(noAccess.detail).toContain('mode 0660');
    const rootOnly = check(with_((f) => ((f.kvm.accessible = false), (f.kvm.device = { type: 'other', mode: 0o600, uid: 0, gid: 0 }))), 'accel');
    expect(rootOnly.fix).toContain('sudo chmod 0660 /dev/kvm');
    expect(rootOnly.fix).toContain('sudo usermod -aG kvm $USER');
    const hangs = check(with_((f) => (f.kvm.knownHanging = true)), 'accel');
    expect([hangs.status, hangs.detail.includes('falls back to TCG'), hangs.detail.includes('slower'), hangs.detail.includes('accel-probe.json')]).toStrictEqual(['warn', true, true, true]);
  });

  it('accel: an explicit kvm that cannot work fails; tcg is ok; hvf on Linux fails; macOS is ok with HVF', () => {
    expect(check(with_((f) => ((f.accelSetting = 'kvm'), (f.kvm.accessible = false))), 'accel').status).toBe('fail');
    expect(check(with_((f) => ((f.accelSetting = 'kvm'), (f.kvm.device = { type: 'missing' }), (f.kvm.accessible = false))), 'accel').fix).toContain('set accel to auto');
    const tcg = check(with_((f) => (f.accelSetting = 'tcg')), 'accel');
    expect([tcg.status, tcg.detail.includes('auto would use it')]).toStrictEqual(['ok', true]);
    expect(check(with_((f) => (f.accelSetting = 'hvf')), 'accel').status).toBe('fail');
    const mac = check(with_((f) => (f.platform = 'darwin')), 'accel');
    expect([mac.status, mac.detail.startsWith('HVF')]).toStrictEqual(['ok', true]);
    expect(check(with_((f) => (f.platform = 'freebsd')), 'accel').status).toBe('warn');
  });

  it('docker socket: absent while stopped is ok; wrong modes, owners and types fail or warn; too long a path fails', () => {
    const stopped = check(with_((f) => ((f.vm = { state: 'stopped' }), (f.socket.file = { type: 'missing' }))), 'docker-socket');
    expect([stopped.status, stopped.detail.includes('created when the VM runs')]).toStrictEqual(['ok', true]);
    const noDir = check(with_((f) => ((f.vm = undefined), (f.socket.dirFact = { type: 'missing' }))), 'docker-socket');
    expect([noDir.status, noDir.detail.includes('created when the VM runs')]).toStrictEqual(['ok', true]);
    expect(check(with_((f) => (f.socket.file = { type: 'missing' })), 'docker-socket').status).toBe('warn'); // running, yet gone
    const openDir = check(with_((f) => (f.socket.dirFact = { type: 'directory', ...mine, mode: 0o755 })), 'docker-socket');
    expect([openDir.status, openDir.detail.includes('0755'), openDir.fix?.startsWith('chmod 700')]).toStrictEqual(['fail', true, true]);
    const openSock = check(with_((f) => (f.socket.file = { type: 'socket', ...mine, mode: 0o666 })), 'docker-socket');
    expect([openSock.status, openSock.fix]).toStrictEqual(['warn', `chmod 600 ${SOCK}`]);
    expect(check(with_((f) => (f.socket.file = { type: 'socket', ...mine, uid: 0 })), 'docker-socket').status).toBe('fail');
    expect(check(with_((f) => (f.socket.dirFact = { type: 'directory', mode: 0o700, uid: 0, gid: 0 })), 'docker-socket').status).toBe('fail');
    expect(check(with_((f) => (f.socket.file = { type: 'file', ...mine })), 'docker-socket').detail).toContain('not a socket');
    expect(check(with_((f) => (f.socket.dirFact = { type: 'symlink', ...mine })), 'docker-socket').status).toBe('fail');
    const long = check(with_((f) => (f.socket.pathBytes = 130)), 'docker-socket');
    expect([long.status, long.detail.includes('130 bytes'), long.fix?.includes('BERTH_HOME')]).toStrictEqual(['fail', true, true]);
  });

  it('foreign docker: another engine on /var/run/docker.sock warns with docker context use berth; Berth behind it is ok', () => {
    const other = check(with_((f) => (f.docker.defaultSocketFact = { type: 'socket', mode: 0o660, uid: 0, gid: 999 })), 'docker-default-socket');
    expect([other.status, other.detail.includes('leaves it alone'), other.fix?.startsWith('docker context use berth')]).toStrictEqual(['warn', true, true]);
    const ours = with_((f) => ((f.docker.defaultSocketFact = { type: 'symlink', ...mine }), (f.docker.defaultSocketIsBerth = true)));
    expect(check(ours, 'docker-default-socket').status).toBe('ok');
  });

  it('foreign docker: DOCKER_HOST elsewhere warns (it overrides contexts); DOCKER_HOST at Berth is ok', () => {
    const elsewhere = check(with_((f) => (f.docker.dockerHost = 'tcp://10.0.0.5:2375')), 'docker-host');
    expect([elsewhere.status, elsewhere.detail.includes('overrides docker contexts'), elsewhere.fix?.startsWith('unset DOCKER_HOST')]).toStrictEqual(['warn', true, true]);
    expect(check(with_((f) => (f.docker.dockerHost = `unix://${SOCK}`)), 'docker-host').status).toBe('ok');
    expect(check(with_((f) => (f.docker.dockerHost = 'tcp://x:2375')), 'docker-context').detail).toContain('DOCKER_HOST overrides');
  });

  it("foreign docker: a current context other than berth warns with docker context use berth; DOCKER_CONTEXT and broken configs too", () => {
    const dflt = check(with_((f) => (f.docker.config = { path: '/home/ada/.docker/config.json' })), 'docker-context');
    expect([dflt.status, dflt.detail.includes('default'), dflt.fix?.startsWith('docker context use berth')]).toStrictEqual(['warn', true, true]);
    const env = check(with_((f) => (f.docker.dockerContextEnv = 'desktop-linux')), 'docker-context');
    expect([env.status, env.fix?.includes('DOCKER_CONTEXT')]).toStrictEqual(['warn', true]);
    expect(check(with_((f) => (f.docker.config.error = 'not valid JSON')), 'docker-context').status).toBe('warn');
    expect(check(with_((f) => delete f.docker.berthContextHost), 'docker-context').status).toBe('fail');
    expect(check(with_((f) => (f.docker.berthContextHost = 'unix:///old/docker.sock')), 'docker-context').fix).toContain('berth restart');
  });

  it('foreign docker: no docker CLI warns with the package to install, and the context is then not checked', () => {
    const f = with_((x) => (x.docker.cli = { state: 'missing' }));
    const cli = check(f, 'docker-cli');
    expect([cli.status, cli.fix?.includes('docker.io'), cli.fix?.includes('docker-ce-cli')]).toStrictEqual(['warn', true, true]);
    expect(check(f, 'docker-context')).toMatchObject({ status: 'ok', detail: 'not checked: the docker CLI is not installed' });
    expect(doctor(f).ok).toBe(true); // warnings only
  });

  it('host disk: fail under 2 GiB, warn under 10 GiB, with the numbers', () => {
    const at = (free: number) => check(with_((f) => (f.disk = { path: '/home', freeBytes: free, totalBytes: 100 * GiB })), 'host-disk');
    expect(at(GiB)).toMatchObject({ status: 'fail' });
    expect(at(GiB).detail).toContain('1 GiB free of 100 GiB');
    expect(at(5 * GiB).status).toBe('warn');
    expect(at(10 * GiB).status).toBe('ok');
    expect(check(with_((f) => (f.disk = { path: '/nope', error: 'EACCES' })), 'host-disk').status).toBe('warn');
  });

  it('guest clock: not running is ok and not checked; within 1 s ok; beyond fails with the restart-or-wait fix', () => {
    expect(check(with_((f) => delete f.guestClockDriftSeconds), 'guest-clock')).toMatchObject({ status: 'ok', detail: 'VM not running, not checked' });
    expect(check(with_((f) => (f.guestClockDriftSeconds = -1)), 'guest-clock').status).toBe('ok');
    const off = check(with_((f) => (f.guestClockDriftSeconds = -42.5)), 'guest-clock');
    expect([off.status, off.detail.includes('42.50 s behind'), off.fix]).toStrictEqual(['fail', true, 'berth restart, or wait: berthd corrects it within a minute']);
    expect(check(with_((f) => (f.guestClockDriftSeconds = 3)), 'guest-clock').detail).toContain('ahead');
  });

  it('settings: corrupt fails naming the kept file; future warns; unknown keys warn; notes are shown', () => {
    const bad = '/home/ada/.berth/settings.json.bad-2025-01-01T00-00-00.000Z';
    const corrupt = check(with_((f) => (f.settings = { status: 'corrupt', reason: 'is not valid JSON', badFile: bad, recoveredFrom: 'last-good', notes: ['explained', 'also this'] })), 'settings');
    expect([corrupt.status, corrupt.detail.includes(bad), corrupt.fix?.includes(bad), corrupt.detail.includes('also this'), corrupt.detail.includes('explained')]).toStrictEqual(['fail', true, true, true, false]);
    const unkept = check(with_((f) => (f.settings = { status: 'corrupt', reason: 'could not be read (EACCES)', recoveredFrom: 'defaults', notes: [] })), 'settings');
    expect([unkept.status, unkept.fix?.startsWith('move settings.json away')]).toStrictEqual(['fail', true]);
    const future = check(with_((f) => (f.settings = { status: 'future', futureVersion: 9, notes: ['x'] })), 'settings');
    expect([future.status, future.detail.includes('version 9'), future.fix]).toStrictEqual(['warn', true, 'update Berth to change settings']);
    expect(check(with_((f) => (f.settings = { status: 'ok', notes: ['settings.json has colour'], unknownKeys: ['colour'] })), 'settings').status).toBe('warn');
    const migrated = check(with_((f) => (f.settings = { status: 'ok', notes: ['settings.json was settings version 2; Berth moved it'] })), 'settings');
    expect([migrated.status, migrated.detail.includes('version 2')]).toStrictEqual(['ok', true]);
    expect(check(with_((f) => (f.settings = { status: 'missing', notes: [] })), 'settings').status).toBe('ok');
  });

  it('vm: an error fails with its hint; degraded warns; stopped and absent berthd are ok', () => {
    const err = check(with_((f) => (f.vm = { state: 'error', reason: 'QEMU exited: code 1', hint: 'see ~/.berth/logs/console.log', lastLog: ['boot', 'panic!', ''] })), 'vm');
    expect([err.status, err.fix, err.detail.includes('panic!')]).toStrictEqual(['fail', 'see ~/.berth/logs/console.log', true]);
    const degraded = check(with_((f) => (f.vm = { state: 'running', degraded: [{ what: 'docker', message: 'dockerd does not answer' }], since: 0 })), 'vm');
    expect([degraded.status, degraded.detail.includes('dockerd does not answer')]).toStrictEqual(['warn', true]);
    expect(check(with_((f) => (f.vm = { state: 'stopped', lastExit: 'code 0' })), 'vm').status).toBe('ok');
    expect(check(with_((f) => delete f.vm), 'vm').status).toBe('ok');
  });

  it('a SettingsLoad fits DoctorSettingsFact (compile-time)', () => {
    const fit = (s: SettingsLoad): DoctorSettingsFact => s;
    expect(typeof fit).toBe('function');
  });
});

describe('doctorFacts on this machine', () => {
  let root: string;
  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'berth-doctor-'));
  });
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  const which = (cmd: string): boolean => {
    try {
      execFileSync('which', [cmd], { stdio: 'ignore' });
      return true;
    } catch {
      return false;
    }
  };

  it('gathers facts of the right shape, finds QEMU exactly when `which` does, and judges them', async () => {
    const home = join(root, 'home');
    const env = { ...process.env, DOCKER_CONFIG: join(root, 'docker-config'), DOCKER_HOST: '', DOCKER_CONTEXT: '' };
    const f = await gatherDoctorFacts(berthPaths(home), { env, guestClockDriftSeconds: 0.1, vm: { state: 'stopped' } });
    expect(f.qemu.state === 'ok').toBe(which('qemu-system-x86_64'));
    expect(f.qemuImg.state === 'ok').toBe(which('qemu-img'));
    expect(f.docker.cli.state === 'ok').toBe(which('docker'));
    expect(f.home).toBe(home);
    if (f.socket.kind === 'pipe') throw new Error('a unix host has no Docker pipe');
    expect(f.socket.dirFact).toStrictEqual({ type: 'missing' });
    expect(f.socket.pathBytes).toBe(Buffer.byteLength(f.socket.path));
    expect(f.docker.config).toStrictEqual({ path: join(root, 'docker-config', 'config.json') });
    expect(f.docker.dockerHost).toBeUndefined();
    expect('freeBytes' in f.disk && f.disk.freeBytes > 0 && f.disk.path === root).toBe(true);
    const report = doctor(f);
    expect(doctorReportSchema.parse(report)).toStrictEqual(report);
    expect(report.checks.find((c) => c.id === 'qemu')?.status).toBe(which('qemu-system-x86_64') ? 'ok' : 'fail');
    expect(report.checks.find((c) => c.id === 'docker-socket')?.status).toBe('ok');
  });

  it('the hypervisor check: none on Linux; HyperKit asked with -v on an Intel Mac, not on Apple Silicon; Hyper-V asked through PowerShell on Windows', async () => {
    const home = join(root, 'home3');
    const env = { ...process.env, DOCKER_CONFIG: join(root, 'docker-config') };
    const linux = await gatherDoctorFacts(berthPaths(home), { env, platform: 'linux' });
    expect(linux.hypervisor).toBeUndefined();
    expect(doctor(linux).checks.some((c) => c.id === 'hypervisor')).toBe(false);
    // A fake hyperkit (a script that prints its version for -v only, as the real one does).
    const fakeHyperkit = join(root, 'hyperkit');
    writeFileSync(fakeHyperkit, '#!/bin/sh\n[ "$1" = "-v" ] && { echo "hyperkit: v0.20210107"; exit 0; }\nexit 2\n', { mode: 0o755 });
    const intel = await gatherDoctorFacts(berthPaths(home), { env, platform: 'darwin', arch: 'x64', commands: { hyperkit: fakeHyperkit } });
    expect(intel.hypervisor).toStrictEqual({ hyperkit: { arch: 'x64', hyperkit: { state: 'ok', version: 'hyperkit: v0.20210107' } } });
    expect(doctor(intel).checks.find((c) => c.id === 'hypervisor')).toMatchObject({ status: 'ok', detail: 'HyperKit: hyperkit: v0.20210107' });
    const noHyperkit = await gatherDoctorFacts(berthPaths(home), { env, platform: 'darwin', arch: 'x64', commands: { hyperkit: join(root, 'no-such-hyperkit') } });
    expect(doctor(noHyperkit).checks.find((c) => c.id === 'hypervisor')).toMatchObject({ status: 'warn', fix: expect.stringContaining('brew install hyperkit') });
    const silicon = await gatherDoctorFacts(berthPaths(home), { env, platform: 'darwin', arch: 'arm64', commands: { hyperkit: fakeHyperkit } });
    expect(doctor(silicon).checks.find((c) => c.id === 'hypervisor')?.detail).toMatch(/Apple Silicon.*QEMU.*HVF/);
    const scripts: string[] = [];
    const home_ = { edition: 'Windows 11 Home', isAdmin: false, inHyperVAdministrators: false, vmms: 'Missing', hypervisorPresent: false, hypervModule: false };
    const windows = await gatherDoctorFacts(berthPaths(home), { env, platform: 'win32', powershell: async (script) => (scripts.push(script), home_) });
    expect(scripts).toHaveLength(1);
    expect(doctor(windows).checks.find((c) => c.id === 'hypervisor')).toMatchObject({ status: 'warn', detail: expect.stringContaining('WHPX') });
    const broken = await gatherDoctorFacts(berthPaths(home), { env, platform: 'win32', powershell: async () => Promise.reject(new Error('powershell.exe was not found')) });
    expect(doctor(broken).checks.find((c) => c.id === 'hypervisor')).toMatchObject({ status: 'warn', detail: expect.stringContaining('powershell.exe was not found') });
  });

  it('a program that is not there is missing; a SettingsLoad is summarised without the settings', async () => {
    const home = join(root, 'home2');
    const load: SettingsLoad = { status: 'future', futureVersion: 7, settings: defaultSettings({ cpus: 2, memoryBytes: 8 * GiB, home }), notes: ['newer'], unknownKeys: [], removedTemps: [] };
    const report = await runDoctor(berthPaths(home), {
      env: { ...process.env, DOCKER_CONFIG: join(root, 'nope'), DOCKER_HOST: 'tcp://127.0.0.1:1' },
      commands: { qemu: 'berth-no-such-qemu', qemuImg: 'berth-no-such-qemu-img', docker: 'berth-no-such-docker' },
      settings: load,
    });
    const by = (id: string) => report.checks.find((c) => c.id === id);
    expect([by('qemu')?.status, by('qemu-img')?.status, by('docker-cli')?.status, by('docker-host')?.status, by('settings')?.status]).toStrictEqual(['fail', 'fail', 'warn', 'warn', 'warn']);
    expect(report.ok).toBe(false);
  });

  it("reads the docker config's current context and the berth context's endpoint", () => {
    const dir = join(root, 'dc');
    const meta = join(dir, 'contexts', 'meta', createHash('sha256').update('berth').digest('hex'));
    mkdirSync(meta, { recursive: true });
    writeFileSync(join(meta, 'meta.json'), JSON.stringify({ Name: 'berth', Endpoints: { docker: { Host: 'unix:///x/docker.sock', SkipTLSVerify: false } } }));
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ currentContext: 'desktop-linux' }));
    expect(readDockerConfig({ DOCKER_CONFIG: dir })).toStrictEqual({ path: join(dir, 'config.json'), currentContext: 'desktop-linux', berthContextHost: 'unix:///x/docker.sock' });
    writeFileSync(join(dir, 'config.json'), '{oops');
    expect(readDockerConfig({ DOCKER_CONFIG: dir }).error).toMatch(/^not valid JSON/);
    rmSync(join(dir, 'config.json'));
    expect(readDockerConfig({ DOCKER_CONFIG: dir })).toStrictEqual({ path: join(dir, 'config.json'), berthContextHost: 'unix:///x/docker.sock' });
  });
});
