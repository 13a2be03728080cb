// The HyperKit runner against a fake hyperkit (test/fakes/hyperkit.mjs; HyperKit runs on Intel Macs
// only): start, state, graceful stop through the agent, forced stop, crash, re-adoption, pid files.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hyperkitArgs, type HyperkitExtras } from '../../helpers/berthd/hypervisors/hyperkitArgs.ts';
import { HyperkitProcess } from '../../helpers/berthd/hypervisors/hyperkitProcess.ts';
import type { VmConfig } from '../../helpers/berthd/hypervisors/vmConfig.ts';
import { repoRoot } from '../image/imageVm.ts';

const FAKE = join(repoRoot, 'test', 'fakes', 'hyperkit.mjs');
let dir: string;
let started: HyperkitProcess[] = [];

beforeEach(() => {
  // Short and hostile: HyperKit's socket paths must stay under 104 bytes; $() and ; must stay inert.
  dir = mkdtempSync(join(tmpdir(), "hk $(x);'"));
  started = [];
  delete process.env.FAKE_HYPERKIT_IGNORE_SHUTDOWN;
  process.env.FAKE_HYPERKIT_LOG = join(dir, 'argv.log');
});
afterEach(async () => {
  for (const p of started) await p.kill();
  rmSync(dir, { recursive: true, force: true });
});

function setup(): { c: VmConfig; x: HyperkitExtras } {
  writeFileSync(join(dir, 'kernel'), 'k');
  writeFileSync(join(dir, 'initrd.img'), 'i');
  writeFileSync(join(dir, 'data.raw'), '');
  const c: VmConfig = {
    name: 'berth', cpus: 2, memoryMiB: 2048, accel: 'hvf',
    kernel: join(dir, 'kernel'), initrd: join(dir, 'initrd.img'), cmdline: 'console=ttyS0 quiet',
    dataDisk: { path: join(dir, 'data.raw'), format: 'raw' },
    consoleLog: join(dir, 'console.log'), pidFile: join(dir, 'hyperkit.pid'),
  };
  return { c, x: { vsockDir: join(dir, 'vsock'), ttyPath: join(dir, 'tty'), uuid: '9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c' } };
}

/** The guest agent's side of a stop or a crash, played through the vsock socket as berthd would reach it. */
function sendToGuest(p: HyperkitProcess, line: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const s = connect(p.linkSocket, () => s.end(`${line}\n`));
    s.on('error', reject);
    s.on('close', () => resolve());
  });
}

async function startFake(guestShutdown?: (p: HyperkitProcess) => Promise<void>): Promise<{ p: HyperkitProcess; c: VmConfig; x: HyperkitExtras }> {
  const { c, x } = setup();
  const ref: { p?: HyperkitProcess } = {};
  const p = HyperkitProcess.start(c, x, { binary: FAKE, guestShutdown: guestShutdown ? () => guestShutdown(ref.p!) : undefined });
  ref.p = p;
  started.push(p);
  await p.console.waitFor(/^berth: docker ready/, 20_000);
  for (let i = 0; i < 100 && !existsSync(p.linkSocket); i++) await new Promise((r) => setTimeout(r, 50));
  return { p, c, x };
}

describe('HyperKit runner (fake hyperkit)', () => {
  it('fake: starts with the built argv passed verbatim, writes its pid file, and exposes the link socket', async () => {
    const { p, c, x } = await startFake();
    expect(p.running).toBe(true);
    const recorded = JSON.parse(readFileSync(process.env.FAKE_HYPERKIT_LOG!, 'utf8').trim().split('\n')[0]!) as string[];
    expect(recorded).toEqual(hyperkitArgs(c, x));
    expect(Number(readFileSync(c.pidFile!, 'utf8'))).toBe(p.pid);
    expect(p.linkSocket).toBe(join(x.vsockDir, '00000003.00000be7'));
    expect(existsSync(p.linkSocket)).toBe(true);
    expect(p.console.lines.some((l) => l.includes('berth.link=vsock:3047'))).toBe(true);
  });

  it('fake: a graceful stop asks the agent to shut down and HyperKit exits 0', async () => {
    const { p, c } = await startFake((self) => sendToGuest(self, 'shutdown'));
    const r = await p.powerdown(10_000);
    expect(r.graceful).toBe(true);
    const exit = await p.exited;
    expect(exit.code).toBe(0);
    expect(existsSync(c.pidFile!)).toBe(false);
  });

  it('fake: a guest that ignores the shutdown is forced off after the timeout, and its pid file removed', async () => {
    process.env.FAKE_HYPERKIT_IGNORE_SHUTDOWN = '1';
    const { p, c } = await startFake((self) => sendToGuest(self, 'shutdown'));
    const r = await p.powerdown(1500);
    expect(r.graceful).toBe(false);
    expect((await p.exited).signal).toBe('SIGKILL');
    expect(existsSync(c.pidFile!)).toBe(false);
  });

  it('fake: without a way to ask the guest, a stop forces it off at once', async () => {
    const { p } = await startFake();
    expect((await p.powerdown(10_000)).graceful).toBe(false);
    expect(p.running).toBe(false);
  });

  it('fake: a crash (triple fault, exit 3) ends the VM and says so on the console follower', async () => {
    const { p } = await startFake();
    await sendToGuest(p, 'crash');
    const exit = await p.exited;
    expect(exit.code).toBe(3);
    expect(exit.stderr).toContain('vm exit[0]');
    await expect(p.console.waitFor(/never/, 1000)).rejects.toThrow(/the guest crashed \(triple fault\)/);
  });

  it('fake: a restarted berthd re-adopts the running HyperKit from its pid file and stops it gracefully', async () => {
    const { p, c, x } = await startFake();
    const io = { consoleLog: c.consoleLog, pidFile: c.pidFile!, vsockDir: x.vsockDir, dataDisk: c.dataDisk!.path };
    expect(() => HyperkitProcess.start(c, x, { binary: FAKE })).toThrow(/already runs on this VM's disk/);
    expect(HyperkitProcess.adopt({ ...io, dataDisk: join(dir, 'other.raw') })).toBeUndefined();
    const ref: { p?: HyperkitProcess } = {};
    const adopted = HyperkitProcess.adopt(io, { pollMs: 50, guestShutdown: () => sendToGuest(ref.p!, 'shutdown') });
    ref.p = adopted;
    expect(adopted?.pid).toBe(p.pid);
    const r = await adopted!.powerdown(10_000);
    expect(r.graceful).toBe(true);
    expect((await p.exited).code).toBe(0);
  });

  it('fake: a stale pid file of a dead HyperKit does not stop the next start', async () => {
    const { c, x } = setup();
    writeFileSync(c.pidFile!, '999999');
    const p = HyperkitProcess.start(c, x, { binary: FAKE });
    started.push(p);
    await p.console.waitFor(/^berth: init/, 20_000);
    expect(Number(readFileSync(c.pidFile!, 'utf8'))).toBe(p.pid);
  });

  it('fake: SIGKILL leaves HyperKit\'s pid file behind (no atexit), and kill() removes it', async () => {
    const { p, c } = await startFake();
    process.kill(p.pid!, 'SIGKILL');
    await p.exited;
    expect(existsSync(c.pidFile!)).toBe(true);
    await p.kill();
    expect(existsSync(c.pidFile!)).toBe(false);
  });
});
