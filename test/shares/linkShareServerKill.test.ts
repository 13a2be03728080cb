// T-26 for shares over the guest link on a real VM (the Hyper-V way, run here on QEMU with
// BERTH_SHARE_TRANSPORT=link): the berth-ninep-server of a share killed with SIGKILL by its pid while
// the VM runs is replaced by a new server and the share mounted again at the same path on the same
// link session — `status` says it is down meanwhile, then lists it mounted; the guest and containers
// read host files through it again, one mount at the path; the VM and the other share are untouched.
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTestImage, startBerthHarness, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';
import { buildNinepServerIn } from '../../helpers/berthd/vm/linkSharesFixture.ts';

let b: Berth;
let rw: string;
let ro: string;
let work: string;

type Status = { pid?: number; vm: { state: string; since?: number }; shares?: { mounted: string[]; problems: string[] } };
const status = async (): Promise<Status> => JSON.parse((await b.berth(['status', '--json'])).stdout) as Status;
const guest = (script: string): Promise<{ code: number; stdout: string; stderr: string }> => b.berth(['shell', '--', '/bin/sh', '-c', script], { timeoutMs: 60_000 });

/** The pids of this Berth's berth-ninep-servers whose socket names the share tag (`share0`: the first share). */
function serverPids(tag: string): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        const argv = readFileSync(`/proc/${d}/cmdline`, 'utf8');
        return argv.includes('ninep-server') && argv.includes(`${b.paths.socketDir}/9p-link-${tag}-`);
      } catch {
        return false;
      }
    })
    .map(Number);
}

beforeAll(async () => {
  work = mkdtempSync(join(tmpdir(), 'berth-t26-shares-'));
  rw = mkdtempSync(join(tmpdir(), 'berth-t26-rw-'));
  ro = mkdtempSync(join(tmpdir(), 'berth-t26-ro-'));
  writeFileSync(join(ro, 'readme'), 'read only\n');
  const server = buildNinepServerIn(work);
  b = startBerthHarness('t26shares');
  b.env.BERTH_SHARE_TRANSPORT = 'link';
  b.env.BERTH_NINEP_SERVER = server;
  const set = await b.berth(['settings', 'set', `shares=${JSON.stringify([{ hostPath: rw, writable: true }, { hostPath: ro, writable: false }])}`]);
  expect(set.code, set.stderr).toBe(0);
  const r = await b.berth(['start'], { timeoutMs: 400_000 });
  expect(r.code, r.stderr).toBe(0);
  await importTestImage(b);
}, 600_000);

afterAll(async () => {
  await b?.cleanup();
  for (const d of [rw, ro, work]) if (d) rmSync(d, { recursive: true, force: true });
}, 120_000);

describe('T-26: a link share\'s berth-ninep-server killed on a running VM', () => {
  it('T-26: kill -9 of the server: status says the share is down, then it is served and mounted again; guest and containers read through it', async () => {
    const before = await status();
    expect(before.shares?.mounted).toEqual([rw, ro]);
    writeFileSync(join(rw, 'before.txt'), 'before\n');
    expect((await guest(`cat "${rw}/before.txt"`)).stdout).toBe('before\n');
    const [pid] = serverPids('share0');
    expect(pid, 'the rw share has its server').toBeGreaterThan(1);
    const roServer = serverPids('share1');

    const t0 = Date.now();
    process.kill(pid!, 'SIGKILL');
    const seen: Status[] = [];
    for (let s = await status(); Date.now() - t0 < 60_000; s = await status()) {
      seen.push(s);
      if (s.shares?.mounted.length === 2 && serverPids('share0').some((p) => p !== pid)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(`T-26 link share on a VM: kill -9 of berth-ninep-server to status listing it mounted again: ${Date.now() - t0} ms (${seen.length} status calls)`);
    const log = readFileSync(b.paths.berthdLog, 'utf8');
    const why = log.split('\n').filter((l) => /share|ninep/.test(l)).slice(-15).join('\n');
    expect(log, why).toMatch(/its berth-ninep-server was killed \(SIGKILL\); serving and mounting it again in 0\.2 s/);
    expect(log, why).toMatch(/mounted at .* over the guest link again \(share0-\d+r1\)/);
    expect(seen.at(-1)?.shares?.mounted, why).toEqual([rw, ro]);
    expect(seen.at(-1)?.shares?.problems).toEqual([]);

    // Through the new server: the guest and a container read a file written on the host now.
    writeFileSync(join(rw, 'after.txt'), 'served again\n');
    const r = await guest(`cat "${rw}/after.txt"`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('served again\n');
    const mounts = (await guest('cat /proc/mounts')).stdout.split('\n').filter((l) => l.split(' ')[1] === rw);
    expect(mounts, 'the dead mount was detached: one mount at the path').toHaveLength(1);
    const c = await b.docker(['run', '--rm', '-v', `${rw}:/data`, TEST_IMAGE, 'sh', '-c', 'cat /data/after.txt && echo from-container > /data/c.txt']);
    expect(c.code, c.stderr).toBe(0);
    expect(c.stdout).toBe('served again\n');
    expect(readFileSync(join(rw, 'c.txt'), 'utf8')).toBe('from-container\n');

    // The VM was not rebooted and the other share kept its server.
    const after = await status();
    expect([after.vm.state, after.pid, after.vm.since]).toEqual(['running', before.pid, before.vm.since]);
    expect(serverPids('share1')).toEqual(roServer);
    expect((await guest(`cat "${ro}/readme"`)).stdout).toBe('read only\n');
  });
});
