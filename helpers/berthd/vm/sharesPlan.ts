// Owns: which host folders ("shares" in the settings) the VM gets and how — the QEMU devices
// (VmConfig['shares']), the virtiofsd daemons to start, the lines of the config disk's `mounts` file
// (GuestConfig['mounts']) and, in words, every share that cannot be mounted. A share is mounted in
// the guest at the same absolute path as on the host (Windows: C:\Users\ann → /c/Users/ann), so
// `docker run -v "$PWD":/src` names the same folder on both sides. Pure: the host's folders are
// seen only through the `folderKind` function the caller passes (statFolderKind reads the disk).
import { statSync } from 'node:fs';
import type { Settings } from '../../api/settings.ts';
import type { VmShare } from '../hypervisors/vmConfig.ts';
import type { GuestConfig } from './configDisk.ts';

export type ShareTransport = '9p' | 'virtiofs';
export type FolderKind = 'folder' | 'missing' | 'not-a-folder' | 'unreadable';
export type GuestMount = NonNullable<GuestConfig['mounts']>[number];
/** One virtiofsd to start before QEMU: it serves `hostPath` on `socketPath` (see virtiofsd.ts). */
export type VirtiofsdJob = { tag: string; hostPath: string; socketPath: string };

export type SharesPlan = {
  /** VmConfig['shares']: one QEMU device per share, in settings order. */
  qemu: VmShare[];
  /** GuestConfig['mounts']: the config disk's `mounts` lines, same tags and order. */
  guestMounts: GuestMount[];
  /** The virtiofsd daemons to start before QEMU (virtiofs shares only). */
  virtiofsd: VirtiofsdJob[];
  /** Shares left out, each message names the setting to fix. */
  problems: string[];
  /** Shares mounted, but not as asked (virtiofs fell back to 9p), in words. */
  notes: string[];
};

export type SharesPlanOptions = {
  /** The transport for writable shares; read-only shares always use 9p (QEMU enforces readonly=on, virtiofsd 7.2 cannot). */
  transport: ShareTransport;
  /** The host's OS: decides how host paths become guest paths. */
  platform: NodeJS.Platform;
  /** What is at a host path (statFolderKind in berthd; a table in tests). */
  folderKind: (hostPath: string) => FolderKind;
  /** Where virtiofsd sockets go (berthd's run directory); needed only for virtiofs. */
  socketDir?: string;
};

/**
 * Guest paths the image itself uses: a share there, above it or inside it would hide or replace the
 * guest's own files (a share of / or /var would hide /var/lib/docker), so such shares are refused.
 */
export const GUEST_SYSTEM_PATHS = ['/bin', '/dev', '/etc', '/lib', '/lib64', '/proc', '/run', '/sbin', '/sys', '/usr', '/var/lib/docker', '/var/lib/containerd', '/var/log', '/var/run'] as const;
/** Guest folders that may hold shares below them but must not be replaced themselves. */
const GUEST_KEEP_EXACT = ['/tmp', '/root', '/mnt'];

/** Unix socket paths are limited to 107 bytes (sun_path is 108 with its NUL) on Linux. */
const SUN_PATH_MAX = 107;

// eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
const CONTROL = /[\0-\x1f\x7f]/;

const show = (s: string): string => JSON.stringify(s);

/**
 * The guest path of a host folder: the same absolute path on Unix hosts; on Windows the drive
 * letter becomes a lower-case top folder and backslashes become slashes (C:\Users\ann → /c/Users/ann,
 * \\server\share\x → /unc/server/share/x). Redundant separators and a trailing one are dropped.
 * Throws for a path that is not absolute.
 */
export function guestPathFor(hostPath: string, platform: NodeJS.Platform): string {
  let p: string;
  if (platform === 'win32') {
    const s = hostPath.replace(/\\/g, '/');
    const drive = /^([A-Za-z]):(\/.*)?$/.exec(s);
    if (drive) p = `/${drive[1]!.toLowerCase()}${drive[2] ?? '/'}`;
    else if (/^\/\/[^/]+\/[^/]+/.test(s)) p = `/unc/${s.slice(2)}`;
    else throw new Error(`${show(hostPath)} is not an absolute Windows path like C:\\Users\\you`);
  } else {
    if (!hostPath.startsWith('/')) throw new Error(`${show(hostPath)} is not an absolute path like /Users/you`);
    p = hostPath;
  }
  const parts = p.split('/').filter((x) => x !== '');
  if (parts.some((x) => x === '.' || x === '..')) throw new Error(`${show(hostPath)} contains . or .. : write the path without them`);
  return `/${parts.join('/')}`;
}

const within = (p: string, root: string): boolean => p === root || p.startsWith(`${root}/`);

/** Why a guest path cannot hold a share, or undefined when it can. */
export function guestPathConflict(guestPath: string): string | undefined {
  if (guestPath === '/') return 'it would replace the whole VM file system';
  for (const sys of GUEST_SYSTEM_PATHS) {
    if (within(guestPath, sys) || within(sys, guestPath)) return `the VM needs ${sys} for itself`;
  }
  if (GUEST_KEEP_EXACT.includes(guestPath)) return `the VM needs ${guestPath} for itself (a folder inside it can be shared)`;
  return undefined;
}

/**
 * The transport for writable shares. 9p unless virtiofs is asked for (`prefer`) and virtiofsd can
 * run here (virtiofsAvailable() in hypervisors/virtiofsd.ts: Linux, and root for QEMU 7.2's C
 * daemon). Measured under TCG (test/bench/shares.bench.ts, docs/guest-config.md): virtiofs with
 * write-through (cache=none) moves large files 1.3–1.7× faster but is even with 9p on trees of small
 * files, and it refuses writable shared mmaps (ENODEV: SQLite's WAL), which 9p cache=mmap serves;
 * its cache=auto, which maps, misses host changes for up to 1 s. So 9p is the default. Pure.
 */
export function defaultShareTransport(virtiofs: { ok: true } | { ok: false; reason: string }, prefer: ShareTransport = '9p'): { transport: ShareTransport; why: string } {
  if (prefer === '9p') return { transport: '9p', why: '9p is the default: write-through virtiofs refuses shared writable mmaps and is not faster on small files' };
  return virtiofs.ok ? { transport: 'virtiofs', why: 'virtiofs was asked for and virtiofsd can run here' } : { transport: '9p', why: `virtiofs was asked for, but ${virtiofs.reason}` };
}

/** Plan the shares of the settings for one VM boot. Pure. */
export function planShares(shares: Settings['shares'], o: SharesPlanOptions): SharesPlan {
  const plan: SharesPlan = { qemu: [], guestMounts: [], virtiofsd: [], problems: [], notes: [] };
  shares.forEach((share, i) => {
    const key = `shares[${i}].hostPath`;
    const fix = `fix or remove ${key} in the settings`;
    const { hostPath } = share;
    if (CONTROL.test(hostPath)) {
      plan.problems.push(`${key} ${show(hostPath)} is not shared: it contains a control character (tab, newline …), which a share path cannot hold; ${fix}`);
      return;
    }
    let guestPath: string;
    try {
      guestPath = guestPathFor(hostPath, o.platform);
    } catch (e) {
      plan.problems.push(`${key} is not shared: ${(e as Error).message}; ${fix}`);
      return;
    }
    const conflict = guestPathConflict(guestPath);
    if (conflict !== undefined) {
      plan.problems.push(`${key} ${show(hostPath)} is not shared: it would be mounted at ${guestPath} in the VM, and ${conflict}; share a folder below it instead (${fix})`);
      return;
    }
    const kind = o.folderKind(hostPath);
    if (kind !== 'folder') {
      const what = { missing: 'does not exist', 'not-a-folder': 'is not a folder', unreadable: 'cannot be read by Berth' }[kind];
      plan.problems.push(`${key} ${show(hostPath)} is not shared this time: it ${what}; create it or ${fix}`);
      return;
    }
    const tag = `share${i}`;
    const readOnly = !share.writable;
    let fstype: ShareTransport = readOnly ? '9p' : o.transport;
    let socketPath: string | undefined;
    if (fstype === 'virtiofs') {
      if (o.socketDir === undefined) throw new Error('planShares: virtiofs needs socketDir');
      socketPath = `${o.socketDir.replace(/\/+$/, '')}/virtiofs-${tag}.sock`;
      if (Buffer.byteLength(socketPath) > SUN_PATH_MAX) {
        plan.notes.push(`${key} ${show(hostPath)} uses 9p instead of virtiofs: the socket path ${socketPath} is longer than the ${SUN_PATH_MAX} bytes a unix socket allows (a shorter BERTH_HOME avoids it)`);
        fstype = '9p';
        socketPath = undefined;
      }
    }
    if (fstype === 'virtiofs') {
      plan.qemu.push({ tag, hostPath, readOnly, transport: 'virtiofs', socketPath: socketPath! });
      plan.virtiofsd.push({ tag, hostPath, socketPath: socketPath! });
    } else {
      plan.qemu.push({ tag, hostPath, readOnly, transport: '9p' });
    }
    plan.guestMounts.push({ fstype, tag, guestPath, readOnly });
  });
  return plan;
}

/** What is at a host path, for planShares' `folderKind` (follows symlinks, as QEMU does for the share's root). */
export function statFolderKind(hostPath: string): FolderKind {
  try {
    return statSync(hostPath).isDirectory() ? 'folder' : 'not-a-folder';
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'missing' : 'unreadable';
  }
}
