// Owns: tests of virtiofsd.ts — the argv and its escaping (T-44), virtiofsAvailable's verdicts,
// and, with the real virtiofsd when this host can run it, start/stop by PID leaving nothing behind.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { childPids, fuseOptValue, killVirtiofsdByPid, VirtiofsdGroup, VirtiofsdProcess, virtiofsAvailable, virtiofsdArgv } from './virtiofsd.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-vfsd-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const real = virtiofsAvailable();

/** A fake virtiofsd: a shell script with the given body. */
function fake(name: string, body: string): string {
  const p = join(dir, name);
  writeFileSync(p, `#!/bin/sh\n${body}\n`);
  chmodSync(p, 0o755);
  return p;
}

/** Pids of processes whose command line mentions `needle`. */
function pidsWith(needle: string): number[] {
  const out: number[] = [];
  for (const e of readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (readFileSync(`/proc/${e}/cmdline`, 'utf8').includes(needle)) out.push(Number(e));
    } catch {
      /* gone */
    }
  }
  return out;
}

/** How libfuse's fuse_opt splits an -o list: "," separates, "\x" is x. */
function parseFuseOpts(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '\\' && i + 1 < s.length) cur += s[++i];
    else if (s[i] === ',') {
      out.push(cur);
      cur = '';
    } else cur += s[i];
  }
  out.push(cur);
  return out;
}

describe('virtiofsdArgv', () => {
  it('serves the folder on the socket, cache none and the namespace sandbox by default', () => {
    expect(virtiofsdArgv({ socketPath: '/run/b/vfs0.sock', sharedDir: '/home/ann' })).toMatchInlineSnapshot(`
      [
        "--socket-path=/run/b/vfs0.sock",
        "-o",
        "source=/home/ann",
        "-o",
        "cache=none",
        "-o",
        "sandbox=namespace",
        "-o",
        "announce_submounts",
        "-o",
        "log_level=warn",
      ]
    `);
    expect(virtiofsdArgv({ socketPath: '/s', sharedDir: '/d', cache: 'auto', sandbox: 'chroot' })).toContain('sandbox=chroot');
  });

  it('T-44: commas and backslashes in the folder are escaped, so the folder cannot add options', () => {
    const hostile = '/home/a,cache=always,sandbox=none\\,x';
    const argv = virtiofsdArgv({ socketPath: '/s', sharedDir: hostile });
    const source = argv[argv.indexOf('-o') + 1]!;
    expect(parseFuseOpts(source)).toEqual([`source=${hostile}`]);
    expect(fuseOptValue('a\\b,c')).toBe('a\\\\b\\,c');
  });

  it('refuses control characters', () => {
    expect(() => virtiofsdArgv({ socketPath: '/s', sharedDir: '/a\nb' })).toThrow(/control characters/);
    expect(() => virtiofsdArgv({ socketPath: '/s\0', sharedDir: '/a' })).toThrow(/control characters/);
  });
});

describe('virtiofsAvailable', () => {
  const cVersion = fake('c-virtiofsd', 'echo "virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7)"; echo "Copyright (c) 2003-2022 Fabrice Bellard and the QEMU Project developers"');
  const rustVersion = fake('rust-virtiofsd', 'echo "virtiofsd 1.10.1"');

  it('QEMU 7.2 C daemon: usable as root only, and says why otherwise', () => {
    expect(virtiofsAvailable({ binary: cVersion, euid: 0, platform: 'linux' })).toEqual({ ok: true, binary: cVersion, version: 'virtiofsd version 7.2.22 (Debian 1:7.2+dfsg-7)' });
    const user = virtiofsAvailable({ binary: cVersion, euid: 1000, platform: 'linux' });
    expect(user.ok).toBe(false);
    expect(!user.ok && user.reason).toMatch(/QEMU's C virtiofsd, which needs root .* uid 1000, so shares use 9p/);
  });

  it('a daemon that runs unprivileged (the Rust one) is fine for a user', () => {
    expect(virtiofsAvailable({ binary: rustVersion, euid: 1000, platform: 'linux' }).ok).toBe(true);
  });

  it('not on macOS/Windows, not without a binary, not when it does not run', () => {
    expect(virtiofsAvailable({ binary: cVersion, euid: 0, platform: 'darwin' })).toMatchObject({ ok: false, reason: expect.stringMatching(/needs a Linux host/) });
    const broken = fake('broken', 'echo "cannot load libfuse" >&2; exit 127');
    expect(virtiofsAvailable({ binary: broken, euid: 0, platform: 'linux' })).toMatchObject({ ok: false, reason: expect.stringMatching(/--version failed: cannot load libfuse/) });
    expect(virtiofsAvailable({ binary: join(dir, 'none'), euid: 0, platform: 'linux' })).toMatchObject({ ok: false, reason: expect.stringMatching(/--version failed/) });
  });
});

describe('VirtiofsdProcess with fake daemons', () => {
  it('reports a daemon that exits before its socket, with its stderr', async () => {
    const dies = fake('dies', 'echo "fv_socket_lock: Permission denied" >&2; exit 1');
    mkdirSync(join(dir, 'src1'));
    await expect(VirtiofsdProcess.start({ binary: dies, socketPath: join(dir, 'dies.sock'), sharedDir: join(dir, 'src1') })).rejects.toThrow(/exited \(code 1\) before its socket appeared: fv_socket_lock: Permission denied/);
  });

  it('kills a daemon that never makes its socket, by PID, and says so', async () => {
    const pidFile = join(dir, 'hang.pid');
    const hangs = fake('hangs', `echo $$ >'${pidFile}'; exec sleep 300`);
    mkdirSync(join(dir, 'src2'));
    await expect(VirtiofsdProcess.start({ binary: hangs, socketPath: join(dir, 'hang.sock'), sharedDir: join(dir, 'src2'), readyTimeoutMs: 300 })).rejects.toThrow(/did not create .*hang\.sock within 300 ms/);
    const pid = Number(readFileSync(pidFile, 'utf8'));
    expect(pid).toBeGreaterThan(1);
    expect(existsSync(`/proc/${pid}`)).toBe(false);
  });

  it('refuses a folder that does not exist before spawning anything', async () => {
    await expect(VirtiofsdProcess.start({ binary: '/bin/true', socketPath: join(dir, 'x.sock'), sharedDir: join(dir, 'missing') })).rejects.toThrow(/does not exist/);
  });

  it('killVirtiofsdByPid leaves a process alone that is not virtiofsd on that socket', async () => {
    const other = spawn('sleep', ['30'], { stdio: 'ignore' });
    expect(killVirtiofsdByPid(other.pid!, '/x.sock')).toBe(false);
    expect(existsSync(`/proc/${other.pid}`)).toBe(true);
    other.kill('SIGKILL');
    expect(killVirtiofsdByPid(2 ** 22 + 1, '/x.sock')).toBe(false);
  });
});

describe.skipIf(!real.ok)('the real virtiofsd (root on Linux)', () => {
  it('starts, creates its socket (0700 owner only), and stop() ends it and every child by PID, removing the socket', async () => {
    const src = join(dir, 'real src, with comma');
    mkdirSync(src);
    const socketPath = join(dir, 'real.sock');
    const p = await VirtiofsdProcess.start({ socketPath, sharedDir: src, logFile: join(dir, 'real.log') });
    expect(p.running).toBe(true);
    expect(pidsWith(`--socket-path=${socketPath}`)).toContain(p.pid);
    const exit = await p.stop();
    expect(exit.signal ?? exit.code).toBeDefined();
    expect(existsSync(socketPath)).toBe(false);
    expect(pidsWith(`--socket-path=${socketPath}`)).toEqual([]);
  });

  it('once a client connects (the namespace sandbox forks), stop() ends both processes and leaves no zombie', async () => {
    mkdirSync(join(dir, 'fork src'));
    const socketPath = join(dir, 'fork.sock');
    const p = await VirtiofsdProcess.start({ socketPath, sharedDir: join(dir, 'fork src'), logFile: join(dir, 'fork.log') });
    const client = connect(socketPath);
    let children: number[] = [];
    for (let i = 0; i < 100 && children.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 50));
      children = childPids(p.pid!);
    }
    expect(children).toHaveLength(1);
    const exit = await p.stop();
    client.destroy();
    expect(exit.code).toBe(0);
    expect(existsSync(`/proc/${children[0]}`), 'the sandboxed child is gone, not a zombie').toBe(false);
    expect(existsSync(`/proc/${p.pid}`)).toBe(false);
  });

  it('a group starts all or none: one bad share stops the good one', async () => {
    mkdirSync(join(dir, 'g1'));
    const good = join(dir, 'g1.sock');
    await expect(
      VirtiofsdGroup.start([
        { hostPath: join(dir, 'g1'), socketPath: good },
        { hostPath: join(dir, 'g-missing'), socketPath: join(dir, 'g2.sock') },
      ]),
    ).rejects.toThrow(/does not exist/);
    expect(pidsWith(`--socket-path=${good}`)).toEqual([]);
    expect(existsSync(good)).toBe(false);
  });

  it('killVirtiofsdByPid stops a virtiofsd left by an earlier berthd', async () => {
    mkdirSync(join(dir, 'k1'));
    const socketPath = join(dir, 'k1.sock');
    const p = await VirtiofsdProcess.start({ socketPath, sharedDir: join(dir, 'k1') });
    expect(killVirtiofsdByPid(p.pid!, join(dir, 'other.sock'))).toBe(false);
    expect(killVirtiofsdByPid(p.pid!, socketPath)).toBe(true);
    expect((await p.exited).signal).toBe('SIGKILL');
    expect(existsSync(socketPath)).toBe(false);
  });
});
