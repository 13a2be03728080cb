// Terminals through the real client against a real berthd and VM: VM shell, container exec (resize,
// Ctrl-C, exit code), host shell with Docker on Berth, clear errors, no leaks over 200 terminals (T-41),
// and every session ended when berthd shuts down. One VM for the file.
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { importTestImage, startBerthHarness, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';
import { childrenOf, eventually, guestProcesses, openProbe, processGone } from './terminalProbe.ts';

let b: Berth;
let berthdPid = 0;
const BOX = 'term-box';
const figures: Record<string, string | number> = {};

beforeAll(async () => {
  b = startBerthHarness('term');
  // berthd gets a DOCKER_HOST elsewhere and a DOCKER_CONTEXT: the host shell must set the one and drop the other.
  // A HOME of its own keeps this machine's shell start-up files (pyenv's rehash lock…) and history out of
  // the 200 shells the T-41 test opens and hangs up.
  const home = join(b.home, 'user-home');
  mkdirSync(home);
  const r = await b.berth(['start'], { timeoutMs: 400_000, env: { DOCKER_HOST: 'tcp://127.0.0.1:9', DOCKER_CONTEXT: 'default', HOME: home } });
  if (r.code !== 0) throw new Error(`berth start failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  berthdPid = b.berthdPid() ?? 0;
  await importTestImage(b);
  const run = await b.docker(['run', '-d', '--name', BOX, TEST_IMAGE, '/bin/sleep', '3600']);
  if (run.code !== 0) throw new Error(`docker run failed: ${run.stderr}`);
}, 600_000);

afterAll(async () => {
  console.log(`terminal figures: ${JSON.stringify(figures)}`);
  await b?.cleanup();
}, 120_000);

describe('VM shell', () => {
  it('runs `uname -a` in the VM and prints Linux', async () => {
    const t = openProbe(b, { kind: 'vm', cols: 120, rows: 30 });
    expect(await t.message('ready')).toEqual({ type: 'ready', title: 'VM shell' });
    t.channel.write('uname -a; echo "uname=$?"\r');
    await t.waitFor(/uname=0/);
    expect(t.text()).toMatch(/Linux \S+ \d+\.\d+/);
    t.channel.write('exit\r');
    expect(await t.message('exit')).toEqual({ type: 'exit', code: 0 });
    await t.closed;
  });
});

describe('container exec', () => {
  it('opens /bin/sh (no bash in the image), follows a resize in `stty size`, takes Ctrl-C, and reports `exit 7`', async () => {
    const t = openProbe(b, { kind: 'container', id: BOX, cols: 80, rows: 24 });
    expect(await t.message('ready')).toEqual({ type: 'ready', title: `${BOX}: /bin/sh` });
    t.channel.write('/bin/stty size\r');
    await t.waitFor(/^24 80\r?$/m);
    // The resize goes through Docker's API and the input through the attach stream: ask until it shows.
    t.channel.resize(100, 37);
    for (let i = 0; !/^37 100\r?$/m.test(t.text()); i++) {
      if (i > 60) throw new Error(`stty never showed 37 100: ${t.text().slice(-400)}`);
      t.channel.write('/bin/stty size\r');
      await new Promise((r) => setTimeout(r, 500));
    }
    const from = t.text().length;
    t.channel.write('/bin/sleep 100\r');
    // Ctrl-C before sleep runs would only cancel the line at the prompt: wait until sleep shows in the container.
    const ps = async (): Promise<string> => (await b.docker(['exec', BOX, '/bin/ps'])).stdout;
    await eventually('sleep 100 to run in the container', ps, (out) => /sleep 100/.test(out), 60_000);
    const beforeCtrlC = t.text().length;
    t.channel.write('\x03');
    // The tty drops typed-ahead input on Ctrl-C: ask for the status once the prompt is back (the
    // prompt, not the tty's "^C" echo, which depends on ECHOCTL; exit 130 below proves the SIGINT).
    await t.waitFor(/# /, { from: beforeCtrlC });
    t.channel.write('echo "after=$?"\r');
    await t.waitFor(/after=130/, { from });
    expect(await ps()).not.toMatch(/sleep 100/);
    t.channel.write('exit 7\r');
    expect(await t.message('exit')).toEqual({ type: 'exit', code: 7 });
    await t.closed;
  });
});

describe('host shell', () => {
  it('has DOCKER_HOST on Berth, no DOCKER_CONTEXT, and `docker ps` sees the container', async () => {
    const t = openProbe(b, { kind: 'host', cols: 200, rows: 30 });
    const ready = await t.message('ready');
    expect(ready.title).toMatch(/ on this machine$/);
    t.channel.write(`echo "[dh=$DOCKER_HOST|ctx=\${DOCKER_CONTEXT-unset}]"\r`);
    await t.waitFor(/\[dh=unix:\/\/\S+\|ctx=unset\]/);
    expect(t.text()).toContain(`[dh=unix://${b.paths.dockerSocket}|ctx=unset]`);
    t.channel.write("docker ps --format 'name={{.Names}}'; echo \"ps=$?\"\r");
    await t.waitFor(/ps=\d+/);
    expect(t.text()).toContain(`name=${BOX}`);
    expect(t.text()).toMatch(/ps=0/);
    t.channel.write('exit 0\r');
    expect(await t.message('exit')).toEqual({ type: 'exit', code: 0 });
  });
});

describe('errors', () => {
  it('a bad spec gets error bad-spec naming the field', async () => {
    const t = openProbe(b, { kind: 'vm', cols: 0 });
    expect(await t.message('error')).toMatchObject({ code: 'bad-spec', message: expect.stringContaining('cols'), hint: expect.stringContaining('/v1/terminal') });
    await t.closed;
  });

  it('a container that does not exist gets error no-such-container naming it, with what to do', async () => {
    const t = openProbe(b, { kind: 'container', id: 'no-such-box' });
    expect(await t.message('error')).toMatchObject({ code: 'no-such-container', message: expect.stringContaining('no-such-box'), hint: expect.stringContaining('docker ps -a') });
    await t.closed;
  });
});

describe('leaks', () => {
  it('T-41: 200 terminals (host and VM shells) opened, used and closed leave no process behind on the host or in the VM', async () => {
    const hostBefore = childrenOf(berthdPid);
    const fdsBefore = readdirSync(`/proc/${berthdPid}/fd`).length;
    const guestBefore = await guestProcesses(b);
    for (let i = 0; i < 200; i++) {
      const t = openProbe(b, { kind: i % 2 === 0 ? 'host' : 'vm' });
      await t.message('ready');
      // Typed as two words so the echo of the input does not match the output.
      t.channel.write(`echo "t41-""${i}"\r`);
      await t.waitFor(new RegExp(`t41-${i}\\r?\\n`));
      t.channel.close();
      await t.closed;
    }
    const hostAfter = await eventually('berthd children after closing', () => childrenOf(berthdPid), (c) => c.length <= hostBefore.length);
    const guestAfter = await eventually('VM processes after closing', () => guestProcesses(b), (g) => g.length <= guestBefore.length);
    const fdsAfter = readdirSync(`/proc/${berthdPid}/fd`).length;
    figures.t41 = `berthd children ${hostBefore.length}→${hostAfter.length}, fds ${fdsBefore}→${fdsAfter}, VM processes ${guestBefore.length}→${guestAfter.length}`;
    expect(hostAfter.filter((c) => c.state === 'Z')).toEqual([]);
    expect(hostAfter.length).toBeLessThanOrEqual(hostBefore.length);
    expect(guestAfter.length).toBeLessThanOrEqual(guestBefore.length);
    // 100 leaked ptys would be 100 fds or more; allow for sockets that come and go.
    expect(fdsAfter - fdsBefore).toBeLessThan(20);
  });
});

describe('shutdown', () => {
  it('berthd stopping with a host, a VM and a container terminal open ends all three within 5 s, and the host shell is gone', async () => {
    const kinds = [{ kind: 'host' as const }, { kind: 'vm' as const }, { kind: 'container' as const, id: BOX }];
    const probes = kinds.map((spec) => openProbe(b, spec));
    for (const p of probes) await p.message('ready');
    const shells = childrenOf(berthdPid).filter((c) => c.state !== 'Z' && /sh$/.test(c.comm));
    expect(shells.length).toBeGreaterThanOrEqual(1);
    process.kill(berthdPid, 'SIGTERM');
    const deadline = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('the terminals were not all ended within 5 s')), 5000));
    await Promise.race([Promise.all(probes.map((p) => p.closed)), deadline]);
    for (const p of probes) expect(p.messages.at(-1)).toMatchObject({ type: 'error', code: expect.stringMatching(/^(berthd-stopping|vm-stopped)$/) });
    for (const s of shells) await eventually(`host shell ${s.pid} (${s.comm}) to be gone`, () => processGone(s.pid), (gone) => gone, 10_000);
    await eventually('berthd to exit after stopping the VM', () => processGone(berthdPid), (gone) => gone, 90_000);
  });
});
