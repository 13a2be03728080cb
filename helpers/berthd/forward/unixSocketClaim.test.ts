// Owns: tests of unixSocketClaim.ts: a stale socket left by a killed process is removed (T-13), a live
// listener's socket is left alone with SocketInUseError (T-14), a non-socket is kept, a long path is refused (T-23).

import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOCKET_PATH_MAX } from '../paths.ts';
import { claimSocketPath, SocketInUseError } from './unixSocketClaim.ts';

let dir: string;
let n = 0;
const sockPath = (): string => join(dir, `s${n++}.sock`);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-cl-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Listen on `path` in a child node process, then SIGKILL it: the socket file stays, nobody answers. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('ready'))`], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`listener exited early (${code})`)));
  });
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function listen(path: string): Promise<Server> {
  return new Promise((resolve, reject) => {
    const s = createServer((c) => {
      c.on('error', () => {});
      c.end();
    });
    s.once('error', reject);
    s.listen(path, () => resolve(s));
  });
}

describe('claimSocketPath', () => {
  it('a missing path is free', async () => {
    const p = sockPath();
    expect(await claimSocketPath(p)).toBe('free');
    expect(existsSync(p)).toBe(false);
  });

  it('T-13: a stale socket left by a killed process is removed and reported, and the path can be listened on', async () => {
    const p = sockPath();
    await staleSocket(p);
    expect(lstatSync(p).isSocket()).toBe(true);
    expect(await claimSocketPath(p)).toBe('removed-stale');
    expect(existsSync(p)).toBe(false);
    const s = await listen(p);
    await new Promise((r) => s.close(r));
  });

  it('T-14: a socket a live program answers on is left in place with SocketInUseError', async () => {
    const p = sockPath();
    const s = await listen(p);
    try {
      const err = await claimSocketPath(p).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(SocketInUseError);
      expect((err as SocketInUseError).path).toBe(p);
      expect((err as Error).message).toContain(`${p} is in use`);
      expect(lstatSync(p).isSocket()).toBe(true);
      // The other program still answers.
      const still = await new Promise<boolean>((resolve) => {
        const c = connect(p);
        c.once('connect', () => {
          c.destroy();
          resolve(true);
        });
        c.once('error', () => resolve(false));
      });
      expect(still).toBe(true);
    } finally {
      await new Promise((r) => s.close(r));
    }
  });

  it('a regular file at the path is refused and kept', async () => {
    const p = sockPath();
    writeFileSync(p, 'precious');
    await expect(claimSocketPath(p)).rejects.toThrow(`${p} exists and is not a socket; Berth will not replace it. Move it away and start again.`);
    expect(readFileSync(p, 'utf8')).toBe('precious');
  });

  it('a directory or a symlink at the path is refused and kept', async () => {
    const d = sockPath();
    mkdirSync(d);
    await expect(claimSocketPath(d)).rejects.toThrow(/is not a socket/);
    expect(lstatSync(d).isDirectory()).toBe(true);

    // A symlink to a stale socket is not followed: the link stays, and so does its target.
    const target = sockPath();
    await staleSocket(target);
    const link = sockPath();
    symlinkSync(target, link);
    await expect(claimSocketPath(link)).rejects.toThrow(/is not a socket/);
    expect(lstatSync(link).isSymbolicLink()).toBe(true);
    expect(lstatSync(target).isSocket()).toBe(true);
  });

  it(`T-23: a path over SOCKET_PATH_MAX (${SOCKET_PATH_MAX}) bytes is refused, naming BERTH_HOME`, async () => {
    const p = join(dir, `${'a'.repeat(SOCKET_PATH_MAX)}.sock`);
    await expect(claimSocketPath(p)).rejects.toThrow(/set BERTH_HOME to a shorter path/);
    await expect(claimSocketPath(p)).rejects.toThrow(`is ${Buffer.byteLength(p)} bytes, over this OS's ${SOCKET_PATH_MAX}`);
  });

  it('T-23: the limit counts bytes, not characters, and a path of exactly the limit is allowed', async () => {
    const base = join(dir, 'x');
    const exact = base + 'b'.repeat(SOCKET_PATH_MAX - Buffer.byteLength(base));
    expect(Buffer.byteLength(exact)).toBe(SOCKET_PATH_MAX);
    expect(await claimSocketPath(exact)).toBe('free');
    // The same number of characters, but one of them takes two bytes in UTF-8.
    const wide = `${exact.slice(0, -1)}é`;
    expect(wide.length).toBe(exact.length);
    await expect(claimSocketPath(wide)).rejects.toThrow(/set BERTH_HOME/);
  });
});
