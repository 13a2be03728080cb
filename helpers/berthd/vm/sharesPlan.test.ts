// Owns: tests of sharesPlan.ts — tags and guest paths, 9p/virtiofs choice (read-only always 9p),
// problems for missing folders, control characters and guest system paths, Windows path translation,
// and that the plan's output is accepted by qemuArgs and configDiskFiles as is.
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { qemuArgs } from '../hypervisors/qemuArgs.ts';
import { configDiskFiles } from './configDisk.ts';
import { defaultShareTransport, guestPathConflict, guestPathFor, planShares, statFolderKind, type FolderKind, type SharesPlanOptions } from './sharesPlan.ts';

const folders = (present: string[]): ((p: string) => FolderKind) => (p) => (present.includes(p) ? 'folder' : 'missing');
const linux = (present: string[], extra: Partial<SharesPlanOptions> = {}): SharesPlanOptions => ({ transport: '9p', platform: 'linux', folderKind: folders(present), ...extra });

describe('planShares', () => {
  it('9p: one device and one mount line per share, at the same path, tags by settings index', () => {
    const plan = planShares(
      [
        { hostPath: '/home/ann', writable: true },
        { hostPath: '/srv/data set/é', writable: false },
      ],
      linux(['/home/ann', '/srv/data set/é']),
    );
    expect(plan).toEqual({
      qemu: [
        { tag: 'share0', hostPath: '/home/ann', readOnly: false, transport: '9p' },
        { tag: 'share1', hostPath: '/srv/data set/é', readOnly: true, transport: '9p' },
      ],
      guestMounts: [
        { fstype: '9p', tag: 'share0', guestPath: '/home/ann', readOnly: false },
        { fstype: '9p', tag: 'share1', guestPath: '/srv/data set/é', readOnly: true },
      ],
      virtiofsd: [],
      problems: [],
      notes: [],
    });
  });

  it('virtiofs: writable shares get a virtiofsd socket in socketDir; read-only ones stay on 9p, which QEMU enforces', () => {
    const plan = planShares(
      [
        { hostPath: '/home/ann', writable: true },
        { hostPath: '/opt/ro', writable: false },
      ],
      linux(['/home/ann', '/opt/ro'], { transport: 'virtiofs', socketDir: '/run/user/1000/berth/' }),
    );
    expect(plan.qemu).toEqual([
      { tag: 'share0', hostPath: '/home/ann', readOnly: false, transport: 'virtiofs', socketPath: '/run/user/1000/berth/virtiofs-share0.sock' },
      { tag: 'share1', hostPath: '/opt/ro', readOnly: true, transport: '9p' },
    ]);
    expect(plan.virtiofsd).toEqual([{ tag: 'share0', hostPath: '/home/ann', socketPath: '/run/user/1000/berth/virtiofs-share0.sock' }]);
    expect(plan.guestMounts.map((m) => m.fstype)).toEqual(['virtiofs', '9p']);
    expect(plan.problems).toEqual([]);
  });

  it('virtiofs falls back to 9p with a note when the socket path is too long for a unix socket', () => {
    const socketDir = `/${'d'.repeat(100)}`;
    const plan = planShares([{ hostPath: '/home/ann', writable: true }], linux(['/home/ann'], { transport: 'virtiofs', socketDir }));
    expect(plan.qemu).toEqual([{ tag: 'share0', hostPath: '/home/ann', readOnly: false, transport: '9p' }]);
    expect(plan.virtiofsd).toEqual([]);
    expect(plan.notes[0]).toMatch(/shares\[0\]\.hostPath "\/home\/ann" uses 9p instead of virtiofs: the socket path .* longer than the 107 bytes/);
    expect(() => planShares([{ hostPath: '/home/ann', writable: true }], linux(['/home/ann'], { transport: 'virtiofs' }))).toThrow(/socketDir/);
  });

  it('a missing folder is skipped this time, with a message naming the setting; the others still mount', () => {
    const plan = planShares(
      [
        { hostPath: '/gone', writable: true },
        { hostPath: '/home/ann', writable: true },
      ],
      linux(['/home/ann']),
    );
    expect(plan.qemu.map((q) => q.tag)).toEqual(['share1']);
    expect(plan.guestMounts.map((m) => m.guestPath)).toEqual(['/home/ann']);
    expect(plan.problems).toEqual(['shares[0].hostPath "/gone" is not shared this time: it does not exist; create it or fix or remove shares[0].hostPath in the settings']);
  });

  it('a file or an unreadable path is refused with what it is', () => {
    const kinds: Record<string, FolderKind> = { '/f': 'not-a-folder', '/u': 'unreadable' };
    const plan = planShares(
      [
        { hostPath: '/f', writable: true },
        { hostPath: '/u', writable: true },
      ],
      { transport: '9p', platform: 'linux', folderKind: (p) => kinds[p]! },
    );
    expect(plan.qemu).toEqual([]);
    expect(plan.problems[0]).toMatch(/shares\[0\]\.hostPath "\/f" is not shared this time: it is not a folder/);
    expect(plan.problems[1]).toMatch(/shares\[1\]\.hostPath "\/u" is not shared this time: it cannot be read by Berth/);
  });

  it('refuses paths with a tab, newline or other control character, before looking at the disk', () => {
    const looked: string[] = [];
    const bad = ['/a\tb', '/a\nb', '/a\rb', '/a\0b', '/a\x7fb', '/a\x1bb'];
    const plan = planShares(
      bad.map((hostPath) => ({ hostPath, writable: true })),
      { transport: '9p', platform: 'linux', folderKind: (p) => (looked.push(p), 'folder') },
    );
    expect(looked).toEqual([]);
    expect(plan.qemu).toEqual([]);
    expect(plan.guestMounts).toEqual([]);
    expect(plan.problems).toHaveLength(bad.length);
    plan.problems.forEach((m, i) => expect(m).toMatch(new RegExp(`^shares\\[${i}\\]\\.hostPath .* contains a control character .*; fix or remove shares\\[${i}\\]\\.hostPath in the settings$`)));
  });

  it('refuses shares that would replace the VM own folders, above or inside them', () => {
    const paths = ['/', '/var', '/var/lib', '/var/lib/docker', '/var/lib/docker/volumes', '/etc', '/usr/local/src', '/proc/1', '/run', '/tmp'];
    const plan = planShares(
      paths.map((hostPath) => ({ hostPath, writable: true })),
      linux(paths),
    );
    expect(plan.qemu).toEqual([]);
    expect(plan.problems).toHaveLength(paths.length);
    expect(plan.problems[1]).toBe('shares[1].hostPath "/var" is not shared: it would be mounted at /var in the VM, and the VM needs /var/lib/docker for itself; share a folder below it instead (fix or remove shares[1].hostPath in the settings)');
    // Folders below the kept ones, and ordinary homes, are fine.
    const ok = ['/tmp/work', '/var/www', '/root/src', '/home', '/Users/ann', '/mnt/c', '/opt/proj', '/srv'];
    const fine = planShares(
      ok.map((hostPath) => ({ hostPath, writable: true })),
      linux(ok),
    );
    expect(fine.problems).toEqual([]);
    expect(fine.guestMounts.map((m) => m.guestPath)).toEqual(ok);
  });

  it('keeps spaces, NFC/NFD and 200-character names byte for byte; drops a trailing slash', () => {
    const nfc = '/home/ann/caf\u00e9 x';
    const nfd = '/home/ann/cafe\u0301 x';
    const long = `/home/ann/${'n'.repeat(200)}`;
    const plan = planShares(
      [nfc, nfd, long, '/home/ann/trail/'].map((hostPath) => ({ hostPath, writable: true })),
      { transport: '9p', platform: 'linux', folderKind: () => 'folder' },
    );
    expect(plan.problems).toEqual([]);
    expect(plan.guestMounts.map((m) => m.guestPath)).toEqual([nfc, nfd, long, '/home/ann/trail']);
    expect(plan.qemu.map((q) => q.hostPath)).toEqual([nfc, nfd, long, '/home/ann/trail/']);
    // A relative path (settings validation refuses it too) becomes a problem rather than a mount.
    expect(planShares([{ hostPath: ' /lead', writable: true }], linux([' /lead'])).problems).toEqual([
      'shares[0].hostPath is not shared: " /lead" is not an absolute path like /Users/you; fix or remove shares[0].hostPath in the settings',
    ]);
  });

  it('its output goes into qemuArgs and the config disk unchanged (T-44 still holds for hostile paths)', () => {
    const hostile = "/home/ann/a,b=c $(id) 'q'";
    const plan = planShares([{ hostPath: hostile, writable: true }], { transport: '9p', platform: 'linux', folderKind: () => 'folder' });
    const argv = qemuArgs({ name: 'b', cpus: 1, memoryMiB: 512, accel: 'tcg', kernel: '/k', initrd: '/i', cmdline: '', consoleLog: '/c', shares: plan.qemu });
    expect(argv).toContain("local,id=fs0,path=/home/ann/a,,b=c $(id) 'q',security_model=none,multidevs=remap");
    expect(configDiskFiles({ mounts: plan.guestMounts }).mounts).toBe(`9p\tshare0\t${hostile}\trw\n`);
  });
});

describe('defaultShareTransport', () => {
  it('9p by default; virtiofs only when asked for and virtiofsd can run, else 9p with the reason', () => {
    expect(defaultShareTransport({ ok: true }).transport).toBe('9p');
    expect(defaultShareTransport({ ok: true }, 'virtiofs').transport).toBe('virtiofs');
    expect(defaultShareTransport({ ok: false, reason: 'virtiofsd needs root' }, 'virtiofs')).toEqual({ transport: '9p', why: 'virtiofs was asked for, but virtiofsd needs root' });
  });
});

describe('guestPathFor', () => {
  it('Unix hosts: the same path, normalised', () => {
    expect(guestPathFor('/Users/ann/My Code', 'darwin')).toBe('/Users/ann/My Code');
    expect(guestPathFor('//home///ann/', 'linux')).toBe('/home/ann');
    expect(() => guestPathFor('home/ann', 'linux')).toThrow(/not an absolute path/);
    expect(() => guestPathFor('/home/../etc', 'linux')).toThrow(/contains \. or \.\./);
  });

  it('Windows hosts: drive letter → lower-case top folder, backslashes → slashes, UNC under /unc', () => {
    expect(guestPathFor('C:\\Users\\ann', 'win32')).toBe('/c/Users/ann');
    expect(guestPathFor('d:/Projects/x y/', 'win32')).toBe('/d/Projects/x y');
    expect(guestPathFor('E:\\', 'win32')).toBe('/e');
    expect(guestPathFor('C:', 'win32')).toBe('/c');
    expect(guestPathFor('\\\\server\\share\\dir', 'win32')).toBe('/unc/server/share/dir');
    expect(() => guestPathFor('Users\\ann', 'win32')).toThrow(/not an absolute Windows path/);
    expect(() => guestPathFor('C:\\Users\\..\\Windows', 'win32')).toThrow(/contains \. or \.\./);
    const plan = planShares([{ hostPath: 'C:\\Users\\ann', writable: true }], { transport: '9p', platform: 'win32', folderKind: () => 'folder' });
    expect(plan.qemu[0]!.hostPath).toBe('C:\\Users\\ann');
    expect(plan.guestMounts[0]!.guestPath).toBe('/c/Users/ann');
  });

  it('guestPathConflict: only the VM own folders', () => {
    expect(guestPathConflict('/')).toMatch(/whole VM/);
    expect(guestPathConflict('/var/lib')).toMatch(/needs \/var\/lib/);
    expect(guestPathConflict('/c/Users/ann')).toBeUndefined();
  });
});

describe('statFolderKind', () => {
  const dir = mkdtempSync(join(tmpdir(), 'berth-shares-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  it('tells a folder, a symlink to one, a file, and a missing path apart', () => {
    mkdirSync(join(dir, 'd'));
    writeFileSync(join(dir, 'f'), '');
    symlinkSync(join(dir, 'd'), join(dir, 'link'));
    expect(statFolderKind(join(dir, 'd'))).toBe('folder');
    expect(statFolderKind(join(dir, 'link'))).toBe('folder');
    expect(statFolderKind(join(dir, 'f'))).toBe('not-a-folder');
    expect(statFolderKind(join(dir, 'nope'))).toBe('missing');
    expect(statFolderKind(join(dir, 'f', 'under-a-file'))).toBe('missing');
  });
});
