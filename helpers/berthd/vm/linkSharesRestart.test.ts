// T-26 for shares over the guest link: a share's real berth-ninep-server killed with SIGKILL (by its pid)
// while the session lives is served by a new server and mounted again (a new tag), with the share's
// problem said meanwhile; deaths in a row are given up on; stop() during the delay mounts nothing.
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkSession } from '../guest/linkSession.ts';
import type { RestartPolicy } from '../host/restartPolicy.ts';
import { LinkShares } from './linkShares.ts';
import { buildNinepServerIn, linkedSessions, versionExchange } from './linkSharesFixture.ts';

let dir: string;
let binary: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'b-lsr-'));
  binary = buildNinepServerIn(dir);
}, 120_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The pids of berth-ninep-servers listening on a socket under `dir` whose name holds `tag`. */
function serverPids(tag: string): number[] {
  return readdirSync('/proc')
    .filter((n) => /^\d+$/.test(n))
    .filter((n) => {
      try {
        const argv = readFileSync(`/proc/${n}/cmdline`, 'utf8').split('\0');
        return argv[0] === binary && argv.some((a) => a.startsWith(`-listen=unix:${dir}/`) && a.includes(`9p-link-${tag}`));
      } catch {
        return false;
      }
    })
    .map(Number);
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  for (const deadline = Date.now() + ms; !cond(); await new Promise((r) => setTimeout(r, 10))) if (Date.now() > deadline) throw new Error('not in time');
}

/**
 * A host session joined to a guest session standing in for berth-agent: share.mount is answered once
 * the guest's "kernel" got Rversion back through the named ninep stream from the server. `tags()` are
 * the shares asked for so far.
 */
async function sessions(): Promise<{ host: LinkSession; guest: LinkSession; tags: () => string[] }> {
  const { host, guest, calls } = await linkedSessions(dir, (_tag, stream) => versionExchange(stream));
  return { host, guest, tags: () => calls.map((c) => c.params.tag) };
}

function shares(policy?: RestartPolicy): { ls: LinkShares; logs: string[] } {
  const logs: string[] = [];
  const share = mkdtempSync(join(dir, 'share-'));
  const ls = new LinkShares([{ tag: 'share0', hostPath: share, guestPath: '/a', readOnly: false }], { binary, socketDir: dir, logsDir: dir, log: (m) => logs.push(m), restartPolicy: policy });
  return { ls, logs };
}

describe('LinkShares: a share\'s berth-ninep-server killed (T-26)', () => {
  it('T-26: kill -9 of the server: the share is said down, then served by a new server and mounted again on the same session', async () => {
    const { host, guest, tags } = await sessions();
    const { ls, logs } = shares();
    await ls.mountAll(host);
    expect(ls.mounted).toEqual(['/a']);
    const [pid] = serverPids('share0-1.sock');
    expect(pid).toBeGreaterThan(1);
    const t0 = Date.now();
    process.kill(pid!, 'SIGKILL');
    await until(() => ls.problems.length === 1);
    expect(ls.problems[0]).toMatch(/is not shared at \/a now: its berth-ninep-server was killed \(SIGKILL\); berthd is serving and mounting it again$/);
    await until(() => ls.mounted.length === 1);
    console.log(`T-26 link share: kill -9 of berth-ninep-server to mounted again: ${Date.now() - t0} ms`);
    expect(tags()).toEqual(['share0-1', 'share0-1r1']);
    expect(serverPids('share0-1r1')).toHaveLength(1);
    expect(ls.problems).toEqual([]);
    expect(logs.join('\n')).toMatch(/its berth-ninep-server was killed \(SIGKILL\); serving and mounting it again in 0\.2 s[\s\S]*mounted at \/a over the guest link again \(share0-1r1\)/);
    await ls.stop();
    expect(serverPids('share0')).toEqual([]);
    host.close();
    guest.close();
  }, 30_000);

  it('T-26: servers that die in a row are given up on, with the reason and what to do', async () => {
    const { host, guest, tags } = await sessions();
    const { ls } = shares({ firstDelayMs: 10, maxDelayMs: 10, stableMs: 60_000, maxRestarts: 1 });
    await ls.mountAll(host);
    process.kill(serverPids('share0-1.sock')[0]!, 'SIGKILL');
    await until(() => tags().length === 2 && ls.mounted.length === 1);
    process.kill(serverPids('share0-1r')[0]!, 'SIGKILL');
    await until(() => /stopped serving it again/.test(ls.problems[0] ?? ''));
    expect(ls.problems[0]).toMatch(/is not shared at \/a: its berth-ninep-server was killed \(SIGKILL\); berthd stopped serving it again: it exited 2 times in a row, each within 60 s of its start\. Restart the VM \(berth restart\)/);
    await new Promise((r) => setTimeout(r, 100));
    expect(tags()).toHaveLength(2);
    await ls.stop();
    host.close();
    guest.close();
  }, 30_000);

  it('a server ended by stop() is not served again, and stop() during the delay mounts nothing', async () => {
    const { host, guest, tags } = await sessions();
    const { ls } = shares({ firstDelayMs: 300, maxDelayMs: 300, stableMs: 60_000, maxRestarts: 5 });
    await ls.mountAll(host);
    process.kill(serverPids('share0-1.sock')[0]!, 'SIGKILL');
    await until(() => ls.problems.length === 1);
    await ls.stop();
    await new Promise((r) => setTimeout(r, 500));
    expect(tags()).toEqual(['share0-1']);
    expect(serverPids('share0')).toEqual([]);
    // And the servers of a normal stop are not deaths.
    await ls.mountAll(host);
    expect(ls.mounted).toEqual(['/a']);
    await ls.stop();
    await new Promise((r) => setTimeout(r, 400));
    expect(tags()).toEqual(['share0-1', 'share0-3']);
    host.close();
    guest.close();
  }, 30_000);
});
