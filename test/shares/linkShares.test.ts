// Shares over the guest link (the Hyper-V way, run here on QEMU with BERTH_SHARE_TRANSPORT=link): berthd's
// berth-ninep-server piped to a `ninep:` stream, mounted by berth-agent with trans=fd at the host's paths.
// Host and guest see each other's writes, containers bind-mount the shares, a read-only share refuses
// writes, a symlink out of the share gives nothing (T-21), and the shares come back after kill -9 of the
// agent (respawned) and of berthd (the VM re-adopted, T-27).
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTestImage, startBerthHarness, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';
import { buildNinepServerIn } from '../../helpers/berthd/vm/linkSharesFixture.ts';

let b: Berth;
let rw: string;
let ro: string;
let outside: string;
let work: string;
const figures: Record<string, unknown> = {};

type SharesStatus = { transport: string; why: string; mounted: string[]; problems: string[] };
async function sharesStatus(): Promise<SharesStatus | undefined> {
  const r = await b.berth(['status', '--json']);
  return (JSON.parse(r.stdout) as { shares?: SharesStatus }).shares;
}

/** One command in the guest itself (berth shell → the agent's exec stream). */
function guest(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return b.berth(['shell', '--', '/bin/sh', '-c', script], { timeoutMs: 60_000 });
}

/** The guest's /proc/mounts line of a mount point (spaces escaped as \040), or undefined. */
async function guestMount(path: string): Promise<string | undefined> {
  const r = await guest('cat /proc/mounts');
  return r.stdout.split('\n').find((l) => l.split(' ')[1] === path.replace(/ /g, '\\040'));
}

/** How many times berthd logged the share at `path` as mounted over the link. */
function mountedLogs(path: string): number {
  return readFileSync(b.paths.berthdLog, 'utf8').split('\n').filter((l) => l.includes(`mounted at ${path}`) && l.includes('over the guest link')).length;
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'berth-linkshares-'));
  rw = mkdtempSync(join(tmpdir(), 'berth link share-'));
  ro = mkdtempSync(join(tmpdir(), 'berth-link-ro-'));
  outside = mkdtempSync(join(tmpdir(), 'berth-link-outside-'));
  writeFileSync(join(outside, 'secret'), 'host secret\n');
  writeFileSync(join(ro, 'readme'), 'read only\n');
  const server = buildNinepServerIn(work);
  b = startBerthHarness('linkshares');
  b.env.BERTH_SHARE_TRANSPORT = 'link';
  b.env.BERTH_NINEP_SERVER = server;
  const set = await b.berth(['settings', 'set', `shares=${JSON.stringify([{ hostPath: rw, writable: true }, { hostPath: ro, writable: false }])}`]);
  expect(set.code, set.stderr).toBe(0);
  const t0 = Date.now();
  const r = await b.berth(['start'], { timeoutMs: 400_000 });
  expect(r.code, r.stderr).toBe(0);
  figures.startSeconds = (Date.now() - t0) / 1000;
  await importTestImage(b);
}, 600_000);

afterAll(async () => {
  console.log(`link share figures: ${JSON.stringify(figures)}`);
  await b?.cleanup();
  for (const d of [rw, ro, outside, work]) if (d) rmSync(d, { recursive: true, force: true });
}, 120_000);

describe('shares over the guest link', () => {
  it('status lists both shares mounted over the guest link, and the guest mounts them with 9p trans=fd at the same paths', async () => {
    const s = await sharesStatus();
    expect(s?.mounted, `${JSON.stringify(s)}\n${readFileSync(b.paths.berthdLog, 'utf8').split('\n').filter((l) => /share|ninep/.test(l)).join('\n')}`).toEqual([rw, ro]);
    expect(s?.problems).toEqual([]);
    expect(s?.why).toMatch(/over the guest link/);
    const line = await guestMount(rw);
    expect(line, 'the rw share is a mount point in the guest').toBeDefined();
    expect(line).toMatch(/ 9p rw,.*trans=fd/);
    expect(await guestMount(ro)).toMatch(/ 9p ro,.*trans=fd/);
  });

  it('a file written on the host is read in the guest at the same path, and one written in the guest reaches the host', async () => {
    writeFileSync(join(rw, 'from-host.txt'), 'hello from the host\n');
    const r = await guest(`cat "${rw}/from-host.txt"`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello from the host\n');
    const w = await guest(`echo from-guest > "${rw}/from-guest.txt" && mkdir -p "${rw}/sub dir" && echo deep > "${rw}/sub dir/f"`);
    expect(w.code, w.stderr).toBe(0);
    expect(readFileSync(join(rw, 'from-guest.txt'), 'utf8')).toBe('from-guest\n');
    expect(readFileSync(join(rw, 'sub dir', 'f'), 'utf8')).toBe('deep\n');
    writeFileSync(join(rw, 'from-host.txt'), 'rewritten, longer\n');
    expect((await guest(`cat "${rw}/from-host.txt"`)).stdout, 'a host rewrite is seen at once').toBe('rewritten, longer\n');
  });

  it('docker run -v <host folder>:/data reads and writes the host folder', async () => {
    writeFileSync(join(rw, 'file'), 'for the container\n');
    const r = await b.docker(['run', '--rm', '-v', `${rw}:/data`, TEST_IMAGE, 'cat', '/data/file']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('for the container\n');
    const w = await b.docker(['run', '--rm', '-v', `${rw}:/data`, TEST_IMAGE, 'sh', '-c', 'echo from-container > /data/c.txt']);
    expect(w.code, w.stderr).toBe(0);
    expect(readFileSync(join(rw, 'c.txt'), 'utf8')).toBe('from-container\n');
  });

  it('a read-only share is read but refuses writes, in the guest and in containers', async () => {
    expect((await guest(`cat "${ro}/readme"`)).stdout).toBe('read only\n');
    const g = await guest(`(echo x > "${ro}/nope") 2>&1; echo "rc=$?"`);
    expect(g.stdout).toMatch(/Read-only file system\nrc=1\n$/);
    // A writable bind of a read-only share is refused by Berth's Docker guard; a :ro one reads.
    const c = await b.docker(['run', '--rm', '-v', `${ro}:/data`, TEST_IMAGE, 'sh', '-c', 'echo x > /data/nope2']);
    expect(c.code).not.toBe(0);
    expect(c.stderr).toMatch(/shares with the VM read-only/);
    expect(existsSync(join(ro, 'nope')) || existsSync(join(ro, 'nope2'))).toBe(false);
    expect((await b.docker(['run', '--rm', '-v', `${ro}:/data:ro`, TEST_IMAGE, 'cat', '/data/readme'])).stdout).toBe('read only\n');
  });

  it('T-21: a symlink in the share pointing out of it gives nothing of the host file', async () => {
    symlinkSync(outside, join(rw, 'outside-link'));
    symlinkSync(join(outside, 'secret'), join(rw, 'secret-link'));
    const g = await guest(`cat "${rw}/outside-link/secret" "${rw}/secret-link" 2>&1; ls "${rw}/outside-link/" 2>&1; true`);
    expect(g.stdout).not.toContain('host secret');
    const c = await b.docker(['run', '--rm', '-v', `${rw}:/data`, TEST_IMAGE, 'sh', '-c', 'cat /data/outside-link/secret /data/secret-link 2>&1; echo pwned > /data/outside-link/secret 2>&1; true']);
    expect(c.stdout).not.toContain('host secret');
    expect(readFileSync(join(outside, 'secret'), 'utf8')).toBe('host secret\n');
  });

  it('after kill -9 of the agent in the guest (respawned), the shares are mounted again', async () => {
    const before = mountedLogs(rw);
    // The exec stream this runs on goes with the agent: its exit code says nothing.
    const killed = await guest('for d in /proc/[0-9]*; do case "$(tr "\\000" " " < $d/cmdline 2>/dev/null)" in "/sbin/berth-agent serve "*) echo "killing ${d#/proc/}"; kill -9 ${d#/proc/};; esac; done');
    const t0 = Date.now();
    while (mountedLogs(rw) <= before && Date.now() - t0 < 90_000) await new Promise((r) => setTimeout(r, 500));
    figures.remountSeconds = (Date.now() - t0) / 1000;
    const why = `kill: ${JSON.stringify(killed)}\n${readFileSync(b.paths.berthdLog, 'utf8').split('\n').filter((l) => /share|ninep|hello|agent/.test(l)).slice(-30).join('\n')}`;
    expect(mountedLogs(rw), `berthd mounted the share again on the new agent\n${why}`).toBeGreaterThan(before);
    let s = await sharesStatus();
    for (let i = 0; i < 40 && s?.mounted.length !== 2; i++) {
      await new Promise((r) => setTimeout(r, 500));
      s = await sharesStatus();
    }
    expect(s?.mounted).toEqual([rw, ro]);
    writeFileSync(join(rw, 'after-restart.txt'), 'still shared\n');
    const r = await guest(`cat "${rw}/after-restart.txt"`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('still shared\n');
    const mounts = (await guest('cat /proc/mounts')).stdout.split('\n').filter((l) => l.split(' ')[1] === rw.replace(/ /g, '\\040'));
    expect(mounts, 'the dead mount of the killed agent was detached: one mount at the path').toHaveLength(1);
    const c = await b.docker(['run', '--rm', '-v', `${rw}:/data`, TEST_IMAGE, 'cat', '/data/after-restart.txt']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toBe('still shared\n');
    expect((await guest(`cat "${ro}/readme"`)).stdout, 'the read-only share is back too').toBe('read only\n');
  });

  it('T-27: after kill -9 of berthd, the next berthd re-adopts the VM and mounts the shares again; the old servers end', async () => {
    const pidOf = async (): Promise<number | undefined> => ((JSON.parse((await b.berth(['status', '--json'])).stdout) as { pid?: number }).pid);
    const vmPid = await pidOf();
    const servers = (): number[] =>
      readdirSync('/proc')
        .filter((d) => /^\d+$/.test(d))
        .filter((d) => {
          try {
            return readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(b.paths.socketDir) && readFileSync(`/proc/${d}/cmdline`, 'utf8').includes('ninep-server');
          } catch {
            return false;
          }
        })
        .map(Number);
    const old = servers();
    expect(old, 'one berth-ninep-server per share').toHaveLength(2);
    process.kill(b.berthdPid()!, 'SIGKILL');
    const before = mountedLogs(rw);
    const r = await b.berth(['start'], { timeoutMs: 400_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(await pidOf(), 'the same VM, re-adopted').toBe(vmPid);
    expect(mountedLogs(rw)).toBeGreaterThan(before);
    expect((await sharesStatus())?.mounted).toEqual([rw, ro]);
    writeFileSync(join(rw, 'after-readopt.txt'), 'adopted\n');
    expect((await guest(`cat "${rw}/after-readopt.txt"`)).stdout).toBe('adopted\n');
    const left = old.filter((pid) => servers().includes(pid));
    expect(left, 'the servers of the killed berthd ended with its connections (-once)').toEqual([]);
  });
});
