// Shares over the guest link: a plan moved onto the link (no devices, no boot-time mounts, same
// tags/paths/modes), where each share's 9P server listens, and LinkShares on a real link session.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LinkShares, ninepListenFor, sharesOverLink } from './linkShares.ts';
import { buildNinepServerIn, linkedSessions, versionExchange } from './linkSharesFixture.ts';
import { planShares } from './sharesPlan.ts';

describe('sharesOverLink', () => {
  const shares = [
    { hostPath: '/home/ann/code', writable: true },
    { hostPath: '/home/ann/docs', writable: false },
    { hostPath: '/etc', writable: true },
  ];
  it('keeps every planned share with its tag, paths and mode, and leaves the VM no device nor boot mount', () => {
    const planned = planShares(shares, { transport: '9p', platform: 'linux', folderKind: () => 'folder' });
    const { plan, shares: link } = sharesOverLink(planned);
    expect(link).toEqual([
      { tag: 'share0', hostPath: '/home/ann/code', guestPath: '/home/ann/code', readOnly: false },
      { tag: 'share1', hostPath: '/home/ann/docs', guestPath: '/home/ann/docs', readOnly: true },
    ]);
    expect(plan.qemu).toEqual([]);
    expect(plan.guestMounts).toEqual([]);
    expect(plan.virtiofsd).toEqual([]);
    expect(plan.problems, 'a refused share stays a problem').toEqual([expect.stringContaining('shares[2].hostPath "/etc" is not shared')]);
  });
  it('mounts a Windows folder at its guest path (C:\\Users\\ann → /c/Users/ann)', () => {
    const planned = planShares([{ hostPath: 'C:\\Users\\ann', writable: true }], { transport: '9p', platform: 'win32', folderKind: () => 'folder' });
    expect(sharesOverLink(planned).shares).toEqual([{ tag: 'share0', hostPath: 'C:\\Users\\ann', guestPath: '/c/Users/ann', readOnly: false }]);
  });
});

describe('ninepListenFor', () => {
  it('a private unix socket per share, loopback TCP on Windows (Node has no AF_UNIX there)', () => {
    expect(ninepListenFor('share0', { platform: 'linux', socketDir: '/tmp/b-0' })).toBe('unix:/tmp/b-0/9p-link-share0.sock');
    expect(ninepListenFor('share1', { platform: 'darwin', socketDir: '/tmp/b-501/' })).toBe('unix:/tmp/b-501/9p-link-share1.sock');
    expect(ninepListenFor('share0', { platform: 'win32', socketDir: 'C:\\x' })).toBe('tcp:127.0.0.1:0');
  });
});

// LinkShares against the real berth-ninep-server and a guest session standing in for berth-agent: the
// guest's "kernel" sends Tversion down the ninep stream and the server's Rversion must come back up.
describe('LinkShares over a real session', () => {
  let dir: string;
  let binary: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'b-ls-'));
    binary = buildNinepServerIn(dir);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const sessions = (mount: Parameters<typeof linkedSessions>[1]) => linkedSessions(dir, mount);

  it('mounts each share through its own server and stream; a refused mount is a problem naming the folder and the reason', async () => {
    const share = mkdtempSync(join(dir, 'share-'));
    const { host, guest, calls, parked } = await sessions((tag, stream) => (tag.startsWith('share1') ? Promise.resolve('mount -t 9p -o trans=fd,ro at /b: no such device') : versionExchange(stream)));
    const logs: string[] = [];
    const ls = new LinkShares(
      [
        { tag: 'share0', hostPath: share, guestPath: '/a', readOnly: false },
        { tag: 'share1', hostPath: share, guestPath: '/b', readOnly: true },
        { tag: 'share2', hostPath: join(dir, 'missing'), guestPath: '/c', readOnly: false },
      ],
      { binary, socketDir: dir, logsDir: dir, log: (m) => logs.push(m) },
    );
    expect(ls.problems).toHaveLength(3);
    await ls.mountAll(host);
    expect(ls.mounted).toEqual(['/a']);
    expect(ls.problems).toEqual([
      `${share} is not shared at /b: the VM could not mount it: mount -t 9p -o trans=fd,ro at /b: no such device`,
      expect.stringMatching(new RegExp(`^${join(dir, 'missing')} is not shared at /c: .*does not exist`)),
    ]);
    expect(calls).toEqual([
      expect.objectContaining({ method: 'share.mount', params: { tag: 'share0-1', path: '/a', readOnly: false } }),
      expect.objectContaining({ method: 'share.mount', params: { tag: 'share1-1', path: '/b', readOnly: true } }),
    ]);
    // A new session (the agent restarted): everything again, with new tags.
    await ls.mountAll(host);
    expect(calls.slice(2)).toEqual([expect.objectContaining({ params: expect.objectContaining({ tag: 'share0-2' }) }), expect.objectContaining({ params: expect.objectContaining({ tag: 'share1-2' }) })]);
    expect(ls.mounted).toEqual(['/a']);
    expect(ls.lost).toBe(false);
    // The guest ends the share's stream (as a new session does): no longer mounted, and due again.
    parked.get('share0-2')!.destroy();
    for (let i = 0; i < 100 && !ls.lost; i++) await new Promise((r) => setTimeout(r, 10));
    expect(ls.lost).toBe(true);
    expect(ls.mounted).toEqual([]);
    expect(ls.problems[0]).toMatch(/is not shared at \/a now: its guest link stream ended/);
    // HELLOs that cross: two sessions' worth of mountAll at once; only the newer one mounts.
    const before = calls.length;
    void ls.mountAll(host);
    void ls.mountAll(host);
    await ls.settled();
    expect(calls.slice(before)).toEqual([expect.objectContaining({ params: expect.objectContaining({ tag: 'share0-4' }) }), expect.objectContaining({ params: expect.objectContaining({ tag: 'share1-4' }) })]);
    expect([ls.mounted, ls.lost]).toEqual([['/a'], false]);
    await ls.stop();
    host.close();
    guest.close();
  }, 30_000);
});
