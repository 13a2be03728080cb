// Owns: tests of paths.ts: socketDirFor keeps sockets under $BERTH_HOME/run when they fit and moves them
// to a short per-home private temp dir when they do not (T-23); privateDir makes 0700 dirs and refuses impostors.

import { chmodSync, chownSync, existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { berthHome, berthPaths, ensureLayout, privateDir, SOCKET_PATH_MAX, socketDirFor } from './paths.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-paths-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const mode = (p: string): number => statSync(p).mode & 0o777;
const longHome = (tag: string): string => join('/home/someone', `${tag}-${'h'.repeat(120)}`);

describe('socketDirFor', () => {
  it('keeps the sockets in <home>/run for a short home', () => {
    expect(socketDirFor('/home/ann/.berth', 1000)).toBe('/home/ann/.berth/run');
  });

  it('T-23: moves the sockets to a short private temp dir berth-<uid>-<hash> for a home of 120+ characters', () => {
    const home = longHome('a');
    expect(home.length).toBeGreaterThan(120);
    const d = socketDirFor(home, 1000);
    expect(d).toMatch(new RegExp(`^${tmpdir().replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/berth-1000-[0-9a-f]{10}$`));
    // Every socket berthd makes fits there.
    for (const name of ['berth.sock', 'docker.sock', 'qmp.sock', 'guest-link.sock']) expect(Buffer.byteLength(join(d, name))).toBeLessThanOrEqual(SOCKET_PATH_MAX);
  });

  it('T-23: the temp dir is deterministic per home and uid, and differs between homes and users', () => {
    const a = longHome('a');
    const b = longHome('b');
    expect(socketDirFor(a, 1000)).toBe(socketDirFor(a, 1000));
    expect(socketDirFor(a, 1000)).not.toBe(socketDirFor(b, 1000));
    expect(socketDirFor(a, 1000)).not.toBe(socketDirFor(a, 1001));
  });

  it('T-23: the switch happens exactly when <home>/run/guest-link.sock no longer fits (in bytes)', () => {
    const suffix = '/run/guest-link.sock';
    const fits = `/h${'x'.repeat(SOCKET_PATH_MAX - suffix.length - 2)}`;
    expect(Buffer.byteLength(`${fits}${suffix}`)).toBe(SOCKET_PATH_MAX);
    expect(socketDirFor(fits, 7)).toBe(`${fits}/run`);
    expect(socketDirFor(`${fits}x`, 7)).toMatch(/\/berth-7-[0-9a-f]{10}$/);
    // Same length in characters, one more byte: a two-byte character.
    const wide = `${fits.slice(0, -1)}é`;
    expect(wide.length).toBe(fits.length);
    expect(socketDirFor(wide, 7)).toMatch(/\/berth-7-[0-9a-f]{10}$/);
  });

  it('uses this process uid by default', () => {
    const uid = process.getuid?.() ?? 0;
    expect(socketDirFor(longHome('a'))).toBe(socketDirFor(longHome('a'), uid));
  });
});

describe('berthPaths', () => {
  it('puts the sockets in the socket dir and everything else under the home', () => {
    const p = berthPaths('/home/ann/.berth');
    expect(p.socketDir).toBe('/home/ann/.berth/run');
    expect(p.controlSocket).toBe('/home/ann/.berth/run/berth.sock');
    expect(p.dockerSocket).toBe('/home/ann/.berth/run/docker.sock');
    expect(p.lockFile).toBe('/home/ann/.berth/run/berthd.lock');
    expect(p.berthdLog).toBe('/home/ann/.berth/logs/berthd.log');
    expect(p.dataDisk).toBe('/home/ann/.berth/vm/data.qcow2');
  });

  it('T-23: with a long home the sockets move but the lock, logs and disks stay under it', () => {
    const home = longHome('a');
    const p = berthPaths(home);
    expect(p.socketDir).toBe(socketDirFor(home));
    for (const s of [p.controlSocket, p.dockerSocket, p.qmpSocket, p.guestLinkSocket]) {
      expect(s.startsWith(`${p.socketDir}/`)).toBe(true);
      expect(Buffer.byteLength(s)).toBeLessThanOrEqual(SOCKET_PATH_MAX);
    }
    expect(p.lockFile).toBe(join(home, 'run', 'berthd.lock'));
    expect(p.consoleLog).toBe(join(home, 'logs', 'console.log'));
  });

  it('berthHome honours a non-empty BERTH_HOME only', () => {
    expect(berthHome({ BERTH_HOME: '/x/y' })).toBe('/x/y');
    expect(berthHome({ BERTH_HOME: '' })).toMatch(/\/\.berth$/);
    expect(berthHome({})).toMatch(/\/\.berth$/);
  });
});

describe('privateDir', () => {
  it('creates a missing directory (and its parents) with mode 0700', () => {
    const d = join(dir, 'new', 'nested');
    privateDir(d);
    expect(lstatSync(d).isDirectory()).toBe(true);
    expect(mode(d)).toBe(0o700);
  });

  it('tightens an existing directory to 0700', () => {
    const d = join(dir, 'open');
    mkdirSync(d, { mode: 0o755 });
    chmodSync(d, 0o755);
    privateDir(d);
    expect(mode(d)).toBe(0o700);
  });

  it('refuses a symlink to a directory, and leaves the target as it was', () => {
    const target = join(dir, 'target');
    mkdirSync(target);
    chmodSync(target, 0o755);
    const link = join(dir, 'link');
    symlinkSync(target, link);
    expect(() => privateDir(link)).toThrow(`${link} exists and is not a directory; remove it and start again`);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(mode(target)).toBe(0o755);
  });

  it('refuses a dangling symlink without creating its target', () => {
    const target = join(dir, 'not-yet');
    const link = join(dir, 'dangling');
    symlinkSync(target, link);
    expect(() => privateDir(link)).toThrow(/exists and is not a directory/);
    expect(existsSync(target)).toBe(false);
  });

  it('refuses a regular file and keeps it', () => {
    const f = join(dir, 'file');
    writeFileSync(f, 'keep me');
    expect(() => privateDir(f)).toThrow(`${f} exists and is not a directory; remove it and start again`);
    expect(readFileSync(f, 'utf8')).toBe('keep me');
  });

  it.skipIf(process.getuid?.() !== 0)('refuses a directory that belongs to another user (needs root to chown)', () => {
    const d = join(dir, 'theirs');
    mkdirSync(d, { mode: 0o777 });
    chmodSync(d, 0o777);
    chownSync(d, 4242, 4242);
    expect(() => privateDir(d)).toThrow(`${d} belongs to another user (uid 4242); Berth will not put its sockets there`);
    expect(mode(d)).toBe(0o777);
  });

  it('ensureLayout makes home, run, socket, logs and vm dirs private', () => {
    const p = berthPaths(join(dir, 'home'));
    ensureLayout(p);
    for (const d of [p.home, p.runDir, p.socketDir, p.logsDir, p.vmDir]) expect(mode(d)).toBe(0o700);
  });
});
