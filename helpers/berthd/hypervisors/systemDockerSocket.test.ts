// The /var/run/docker.sock link (T-14): created only where nothing is, never over another engine's
// socket, file or link, removed only when it is Berth's — decided purely, and done on temp paths here.
import { spawnSync } from 'node:child_process';
import { chmodSync, lstatSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applySystemSocket, decideSystemSocket, inspectPath } from './systemDockerSocket.ts';

const OURS = '/Users/ann/.berth/run/docker.sock';

describe('decideSystemSocket', () => {
  it('links only where nothing is; a link to Berth already is left as it is', () => {
    expect(decideSystemSocket('link', { kind: 'absent' }, OURS)).toMatchObject({ do: 'create' });
    expect(decideSystemSocket('link', { kind: 'symlink', target: OURS }, OURS)).toMatchObject({ do: 'nothing' });
  });
  it('T-14: never over another engine\'s socket, link or a plain file', () => {
    for (const at of [{ kind: 'socket' as const }, { kind: 'symlink' as const, target: '/Users/ann/.docker/run/docker.sock' }, { kind: 'other' as const }]) {
      const d = decideSystemSocket('link', at, OURS);
      expect(d.do).toBe('refuse');
      expect(d.do === 'refuse' && d.hint).toMatch(/docker context use berth/);
    }
  });
  it('removes only Berth\'s own link', () => {
    expect(decideSystemSocket('remove', { kind: 'symlink', target: OURS }, OURS)).toMatchObject({ do: 'remove' });
    expect(decideSystemSocket('remove', { kind: 'absent' }, OURS)).toMatchObject({ do: 'nothing' });
    expect(decideSystemSocket('remove', { kind: 'symlink', target: '/other/docker.sock' }, OURS)).toMatchObject({ do: 'refuse' });
    expect(decideSystemSocket('remove', { kind: 'socket' }, OURS)).toMatchObject({ do: 'refuse' });
  });
});

describe('applySystemSocket (temp paths standing in for /var/run)', () => {
  let dir: string;
  let system: string;
  let ours: string;
  let servers: Server[];
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-sysdock-'));
    system = join(dir, 'var-run', 'docker.sock');
    mkdirSync(join(dir, 'var-run'));
    ours = join(dir, 'berth', 'docker.sock');
    servers = [];
  });
  afterEach(() => {
    for (const s of servers) s.close();
    chmodSync(join(dir, 'var-run'), 0o755);
    rmSync(dir, { recursive: true, force: true });
  });
  const listen = async (path: string): Promise<void> => {
    const s = createServer();
    servers.push(s);
    await new Promise<void>((r) => s.listen(path, r));
  };

  it('links, says so again without change, and removes its own link on request', () => {
    expect(applySystemSocket('link', ours, { system })).toMatchObject({ ok: true, did: 'created' });
    expect(readlinkSync(system)).toBe(ours);
    expect(applySystemSocket('link', ours, { system })).toMatchObject({ ok: true, did: 'nothing' });
    expect(applySystemSocket('remove', ours, { system })).toMatchObject({ ok: true, did: 'removed' });
    expect(inspectPath(system)).toEqual({ kind: 'absent' });
    expect(applySystemSocket('remove', ours, { system })).toMatchObject({ ok: true, did: 'nothing' });
  });

  it('leaves another engine\'s live socket, its link and a plain file exactly as they were', async () => {
    await listen(system);
    expect(applySystemSocket('link', ours, { system })).toMatchObject({ ok: false, message: expect.stringMatching(/another Docker engine's socket/) });
    expect(applySystemSocket('remove', ours, { system })).toMatchObject({ ok: false });
    expect(lstatSync(system).isSocket()).toBe(true);
    servers.pop()!.close();
    rmSync(system, { force: true });
    symlinkSync('/somewhere/else.sock', system);
    expect(applySystemSocket('link', ours, { system })).toMatchObject({ ok: false, message: expect.stringMatching(/a link to \/somewhere\/else\.sock/) });
    expect(applySystemSocket('remove', ours, { system })).toMatchObject({ ok: false });
    expect(readlinkSync(system)).toBe('/somewhere/else.sock');
    rmSync(system);
    writeFileSync(system, 'x');
    expect(applySystemSocket('link', ours, { system })).toMatchObject({ ok: false, message: expect.stringMatching(/not a socket/) });
  });

  it('says an administrator is needed (with the command to run) when the folder is not writable', () => {
    chmodSync(join(dir, 'var-run'), 0o555);
    const expected = { ok: false, message: `changing ${system} needs an administrator`, hint: 'sudo berth docker-socket --system' };
    if (process.getuid?.() !== 0) {
      expect(applySystemSocket('link', ours, { system, sudoHint: expected.hint })).toEqual(expected);
      return;
    }
    // root may write anywhere: the same call made by an ordinary user (nobody) in a child process.
    chmodSync(dir, 0o755);
    const child = join(dir, 'asNobody.mjs');
    const mod = new URL('./systemDockerSocket.ts', import.meta.url).pathname;
    writeFileSync(child, `import { applySystemSocket } from ${JSON.stringify(mod)};\nconsole.log(JSON.stringify(applySystemSocket('link', ${JSON.stringify(ours)}, { system: ${JSON.stringify(system)}, sudoHint: ${JSON.stringify(expected.hint)} })));\n`);
    const r = spawnSync(process.execPath, ['--import', 'tsx', child], { uid: 65534, gid: 65534, encoding: 'utf8', env: { ...process.env, HOME: dir } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(expected);
    expect(inspectPath(system)).toEqual({ kind: 'absent' });
  });

  it('refuses a relative socket path', () => {
    expect(applySystemSocket('link', 'run/docker.sock', { system })).toMatchObject({ ok: false, message: expect.stringMatching(/not absolute/) });
  });
});
