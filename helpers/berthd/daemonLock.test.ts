// Owns: tests of daemonLock.ts: take and release, refusal while the owner's pid is alive, takeover of a
// stale lock left by a killed berthd (T-28), and that release only ever removes our own lock.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { acquireDaemonLock, DaemonRunningError } from './daemonLock.ts';

let dir: string;
let n = 0;
const lockPath = (): string => join(dir, `berthd-${n++}.lock`);
const children: ChildProcess[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-lock-'));
});
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** A live process that is not us: `sleep 30`, killed after the tests. */
function liveChild(): number {
  const c = spawn('sleep', ['30'], { stdio: 'ignore' });
  children.push(c);
  if (!c.pid) throw new Error('could not spawn sleep');
  return c.pid;
}

/** The pid of a process that has exited (and been reaped), like a berthd killed with SIGKILL. */
async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  const pid = c.pid;
  if (!pid) throw new Error('could not spawn node');
  await new Promise((r) => c.once('exit', r));
  return pid;
}

describe('acquireDaemonLock', () => {
  it('creates the lock with our pid (0600) and release removes it', () => {
    const p = lockPath();
    const release = acquireDaemonLock(p);
    expect(readFileSync(p, 'utf8')).toBe(`${process.pid}\n`);
    expect(statSync(p).mode & 0o777).toBe(0o600);
    release();
    expect(existsSync(p)).toBe(false);
    // Releasing again, with the file gone, is harmless.
    expect(() => release()).not.toThrow();
  });

  it('can be taken again after release', () => {
    const p = lockPath();
    acquireDaemonLock(p)();
    const again = acquireDaemonLock(p);
    expect(existsSync(p)).toBe(true);
    again();
  });

  it('refuses while the owner is alive, naming its pid, and leaves its lock alone', () => {
    const p = lockPath();
    const owner = liveChild();
    writeFileSync(p, `${owner}\n`);
    let err: unknown;
    const log: string[] = [];
    try {
      acquireDaemonLock(p, (m) => log.push(m));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(DaemonRunningError);
    expect((err as DaemonRunningError).pid).toBe(owner);
    expect((err as Error).message).toBe(`another berthd (pid ${owner}) already manages this BERTH_HOME`);
    expect(readFileSync(p, 'utf8')).toBe(`${owner}\n`);
    expect(log).toEqual([]);
  });

  it('T-28: takes over a stale lock whose pid is dead (a killed berthd), and logs it', async () => {
    const p = lockPath();
    const dead = await deadPid();
    writeFileSync(p, `${dead}\n`);
    const log: string[] = [];
    const release = acquireDaemonLock(p, (m) => log.push(m));
    expect(readFileSync(p, 'utf8')).toBe(`${process.pid}\n`);
    expect(log).toEqual([`removing a stale lock left by berthd pid ${dead} (no longer running)`]);
    release();
    expect(existsSync(p)).toBe(false);
  });

  it('T-28: takes over a lock that is empty or garbage (a berthd killed mid-write)', () => {
    for (const body of ['', '\n', 'not a pid\n', '-5\n', '0\n', '12.5\n']) {
      const p = lockPath();
      writeFileSync(p, body);
      const release = acquireDaemonLock(p);
      expect(readFileSync(p, 'utf8'), JSON.stringify(body)).toBe(`${process.pid}\n`);
      release();
    }
  });

  it('a lock holding our own pid is not "another berthd" (pid reuse after a restart)', () => {
    const p = lockPath();
    writeFileSync(p, `${process.pid}\n`);
    const release = acquireDaemonLock(p);
    expect(readFileSync(p, 'utf8')).toBe(`${process.pid}\n`);
    release();
  });

  it('release leaves a lock that another berthd has taken since', () => {
    const p = lockPath();
    const release = acquireDaemonLock(p);
    const other = liveChild();
    writeFileSync(p, `${other}\n`);
    release();
    expect(readFileSync(p, 'utf8')).toBe(`${other}\n`);
  });

  it('errors other than "exists" are not mistaken for a lock held', () => {
    expect(() => acquireDaemonLock(join(dir, 'no-such-dir', 'berthd.lock'))).toThrow(/ENOENT/);
  });
});
