// Host folders in containers through Berth, end to end: `docker run -v <host path>:…` reads and writes
// the host's files at once both ways, awkward names (T-20), no escape through symlinks or .. (T-21),
// files owned by the host user, and a bind mount outside every share refused naming the setting.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTestImage, startBerthHarness, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';

let b: Berth;
let share: string;
let outside: string;
const figures: Record<string, unknown> = {};
const NFC = 'caf\u00e9';
const NFD = 'cafe\u0301';
const LONG = `${'n'.repeat(196)}.txt`;

/** Run a command in a container with the share mounted at the same path. */
async function inContainer(script: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return b.docker(['run', '--rm', '-v', `${share}:${share}`, TEST_IMAGE, 'sh', '-c', script]);
}

beforeAll(async () => {
  share = mkdtempSync(join(tmpdir(), 'berth share ü-'));
  outside = mkdtempSync(join(tmpdir(), 'berth-outside-'));
  writeFileSync(join(outside, 'secret'), 'host secret\n');
  mkdirSync(join(share, 'a b', 'ünï 文件'), { recursive: true });
  writeFileSync(join(share, 'a b', 'ünï 文件', 'hello.txt'), 'hello from the host\n');
  b = startBerthHarness('shares');
  const set = await b.berth(['settings', 'set', `shares=${JSON.stringify([{ hostPath: share, writable: true }])}`]);
  expect(set.code, set.stderr).toBe(0);
  const r = await b.berth(['start'], { timeoutMs: 400_000 });
  expect(r.code, r.stderr).toBe(0);
  await importTestImage(b);
}, 600_000);

afterAll(async () => {
  console.log(`share figures: ${JSON.stringify(figures)}`);
  await b?.cleanup();
  for (const d of [share, outside]) if (d) rmSync(d, { recursive: true, force: true });
}, 120_000);

describe('shares', () => {
  it('a container reads a host file under a path with spaces and non-ASCII names', async () => {
    const r = await inContainer(`cat "${share}/a b/ünï 文件/hello.txt"`);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('hello from the host\n');
  });

  it('writes, renames and deletes reach the other side at once, both ways', async () => {
    const w = await inContainer(`echo from-container > "${share}/c.txt" && mv "${share}/c.txt" "${share}/c2.txt"`);
    expect(w.code, w.stderr).toBe(0);
    expect(readFileSync(join(share, 'c2.txt'), 'utf8')).toBe('from-container\n');
    expect(existsSync(join(share, 'c.txt'))).toBe(false);

    const run = await b.docker(['run', '-d', '--name', 'watcher', '-v', `${share}:${share}`, TEST_IMAGE, 'sleep', '600']);
    expect(run.code, run.stderr).toBe(0);
    const exec = (script: string) => b.docker(['exec', 'watcher', 'sh', '-c', script]);
    writeFileSync(join(share, 'h.txt'), 'v1\n');
    expect((await exec(`cat "${share}/h.txt"`)).stdout).toBe('v1\n');
    writeFileSync(join(share, 'h.txt'), 'v2, longer\n');
    expect((await exec(`cat "${share}/h.txt"`)).stdout, 'a host rewrite is seen at once').toBe('v2, longer\n');
    renameSync(join(share, 'h.txt'), join(share, 'h2.txt'));
    expect((await exec(`ls "${share}"`)).stdout.split('\n')).toEqual(expect.arrayContaining(['h2.txt']));
    rmSync(join(share, 'h2.txt'));
    expect((await exec(`test -e "${share}/h2.txt" && echo still || echo gone`)).stdout.trim()).toBe('gone');
    expect((await exec(`rm "${share}/c2.txt"`)).code).toBe(0);
    expect(existsSync(join(share, 'c2.txt'))).toBe(false);
    await b.docker(['rm', '-f', 'watcher']);
  });

  it('T-20: NFC and NFD names stay distinct with identical bytes; a 200-character name works', async () => {
    writeFileSync(join(share, NFC), 'nfc\n');
    const r = await inContainer(`cd "${share}" && printf nfd > '${NFD}' && printf long > '${LONG}' && for f in *; do printf '%s\\n' "$f"; done`);
    expect(r.code, r.stderr).toBe(0);
    const names = readdirSync(share);
    expect(names).toEqual(expect.arrayContaining([NFC, NFD, LONG]));
    expect(readFileSync(join(share, NFD), 'utf8')).toBe('nfd');
    expect(readFileSync(join(share, NFC), 'utf8')).toBe('nfc\n');
    const guestBytes = Buffer.from(r.stdout, 'utf8');
    for (const n of [NFC, NFD, LONG]) expect(guestBytes.includes(Buffer.from(n, 'utf8')), `guest lists ${n} with the same bytes`).toBe(true);
  });

  it('files a container creates in a share belong to the host user running Berth', async () => {
    expect((await inContainer(`echo x > "${share}/owned"`)).code).toBe(0);
    expect(statSync(join(share, 'owned')).uid).toBe(process.getuid!());
  });

  it('T-21: symlinks planted in the share and .. do not reach host files outside it', async () => {
    const before = createHash('sha256').update(readFileSync(join(outside, 'secret'))).digest('hex');
    const script = [
      `ln -s / "${share}/root-link"`,
      `ln -s ../../.. "${share}/up-link"`,
      `ln -s "${outside}" "${share}/outside-link"`,
      `cat "${share}/outside-link/secret" 2>&1`,
      `cat "${share}/up-link${outside}/secret" 2>&1`,
      `cat "${share}/root-link${outside}/secret" 2>&1`,
      `cat "${share}/../${outside.split('/').pop()}/secret" 2>&1`,
      `echo pwned > "${share}/outside-link/secret" 2>&1`,
      'true',
    ].join('; ');
    const r = await inContainer(script);
    expect(r.stdout).not.toContain('host secret');
    expect(createHash('sha256').update(readFileSync(join(outside, 'secret'))).digest('hex'), 'the host file outside the share is untouched').toBe(before);
    expect(readdirSync(outside)).toEqual(['secret']);
  });

  it('a bind mount of a host path outside every share fails with a message naming the setting', async () => {
    const r = await b.docker(['run', '--rm', '-v', `${outside}:/x`, TEST_IMAGE, 'ls', '/x']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/is not inside a folder Berth shares with the VM \(setting "shares"/);
    expect(r.stderr).toContain('berth settings set shares=');
    figures.outsideShareMessage = r.stderr.trim();
    const ok = await b.docker(['run', '--rm', '-v', '/var/run/docker.sock:/var/run/docker.sock', TEST_IMAGE, 'ls', '/var/run/docker.sock']);
    expect(ok.code, 'the VM Docker socket stays mountable (docker-in-docker)').toBe(0);
    const vol = await b.docker(['run', '--rm', '-v', 'berth-named:/data', TEST_IMAGE, 'ls', '/data']);
    expect(vol.code, 'named volumes are not bind mounts').toBe(0);
  });
});
