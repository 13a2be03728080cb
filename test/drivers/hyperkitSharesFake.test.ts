// The HyperKit driver's shares against a fake hyperkit (HyperKit runs on Intel Macs only) and the real
// berth-ninep-server: one server per share is listening on its unix socket before HyperKit starts,
// HyperKit's argv names it (virtio-9p,path=…,tag=…), the fake connects there as hyperkit does and plays
// a guest's mount (Tversion, Tattach), a read-only share is the server's -ro, and the servers end with
// the VM — also after a berthd crash, when a new driver re-adopts the VM.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { processAlive, waitForExit } from '../../helpers/berthd/host/processLiveness.ts';
import type { VmProcess } from '../../helpers/berthd/hypervisors/driver.ts';
import { hyperkitDriver, hyperkitFiles } from '../../helpers/berthd/hypervisors/hyperkitDriver.ts';
import type { VmConfig } from '../../helpers/berthd/hypervisors/vmConfig.ts';
import { berthPaths, ensureLayout, type BerthPaths } from '../../helpers/berthd/paths.ts';
import { repoRoot } from '../image/imageVm.ts';
import { buildNinepServerIn } from '../../helpers/berthd/vm/linkSharesFixture.ts';
import { FAKE_HYPERKIT } from './fixtures/fakeHyperkitOptions.ts';

const intelMac = { platform: 'darwin', arch: 'x64' };
const CHILD = join(repoRoot, 'test', 'drivers', 'fixtures', 'hyperkitSharesBerthd.ts');
let home: string;
let paths: BerthPaths;
let server: string;
const started: VmProcess[] = [];

beforeAll(() => {
  home = mkdtempSync(join(tmpdir(), 'bhs-')); // short: macOS socket paths hold 104 bytes
  paths = berthPaths(home);
  ensureLayout(paths);
  server = buildNinepServerIn(home);
  for (const d of ['src', 'docs ü']) mkdirSync(join(home, d));
  writeFileSync(join(home, 'kernel'), 'k');
  writeFileSync(join(home, 'initrd.img'), 'i');
  process.env.FAKE_HYPERKIT_LOG = join(home, 'argv.log');
}, 120_000);

afterAll(async () => {
  for (const vm of started) await vm.kill();
  rmSync(home, { recursive: true, force: true });
});

const driver = () => hyperkitDriver({ paths, log: () => undefined, guestShutdown: () => Promise.reject(new Error('no agent in this test')), binary: FAKE_HYPERKIT, ninepServer: server, host: intelMac });

function config(): VmConfig {
  return {
    name: 'berth', cpus: 1, memoryMiB: 512, accel: 'hvf', kernel: join(home, 'kernel'), initrd: join(home, 'initrd.img'), cmdline: 'console=ttyS0',
    consoleLog: paths.consoleLog,
    shares: [
      { tag: 'share0', hostPath: join(home, 'src'), readOnly: false, transport: '9p' },
      { tag: 'share1', hostPath: join(home, 'docs ü'), readOnly: true, transport: '9p' },
    ],
  };
}

/** Whether `cond` holds within 10 s (the driver clears up after the VM's exit, asynchronously). */
async function until(cond: () => boolean): Promise<boolean> {
  for (let i = 0; i < 200 && !cond(); i++) await new Promise((r) => setTimeout(r, 50));
  return cond();
}
type Recorded = { pid: number; listen: string }[];
const recorded = (): Recorded => JSON.parse(readFileSync(hyperkitFiles(paths).ninepRecord, 'utf8')) as Recorded;
const argvOf = (pid: number): string[] => readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);

describe('HyperKit shares (fake hyperkit, real berth-ninep-server)', () => {
  it('fake: starts one 9P server per share before HyperKit; HyperKit connects and a guest mount is answered', async () => {
    const vm = await driver().start(config());
    started.push(vm);
    await vm.console.waitFor(/^berth: 9p share1: /, 20_000);
    const lines = vm.console.lines.filter((l) => l.startsWith('berth: 9p '));
    // The server caps msize at HyperKit's 256 KiB buffer, whatever the guest asks.
    expect(lines.sort()).toEqual(['berth: 9p share0: 9P2000.L msize=262144 attach ok', 'berth: 9p share1: 9P2000.L msize=262144 attach ok']);
    const argv = JSON.parse(readFileSync(process.env.FAKE_HYPERKIT_LOG!, 'utf8').trim().split('\n').at(-1)!) as string[];
    const f = hyperkitFiles(paths);
    expect(argv).toContain(`6:0,virtio-9p,path=${f.ninepSocket('share0')},tag=share0`);
    expect(argv).toContain(`7:0,virtio-9p,path=${f.ninepSocket('share1')},tag=share1`);
    const rec = recorded();
    expect(rec.map((r) => r.listen)).toEqual([`unix:${f.ninepSocket('share0')}`, `unix:${f.ninepSocket('share1')}`]);
    expect(argvOf(rec[0]!.pid)).toEqual([server, `-root=${join(home, 'src')}`, `-listen=unix:${f.ninepSocket('share0')}`, '-once']);
    expect(argvOf(rec[1]!.pid)).toEqual([server, `-root=${join(home, 'docs ü')}`, `-listen=unix:${f.ninepSocket('share1')}`, '-ro', '-once']);

    await vm.kill();
    for (const r of rec) expect(await waitForExit(r.pid, 10_000)).toBe(true);
    expect(await until(() => !existsSync(f.ninepRecord))).toBe(true);
    expect(existsSync(f.ninepSocket('share0'))).toBe(false);
  });

  it('fake: after a berthd crash the servers go on serving; a new driver re-adopts the VM and they end with it', async () => {
    // berthd (a child process) starts the VM with its shares, then crashes (SIGKILL: no exit hooks run).
    const berthd = spawn(process.execPath, ['--import', 'tsx', CHILD, home, server, JSON.stringify(config())], { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'inherit'] });
    const line = await new Promise<string>((resolve) => berthd.stdout!.once('data', (d) => resolve(String(d).trim())));
    expect(line).toMatch(/^running \d+$/);
    const hk = Number(line.split(' ')[1]);
    const rec = recorded();
    berthd.kill('SIGKILL');
    await new Promise((r) => berthd.once('exit', r));
    expect(processAlive(hk)).toBe(true);
    expect(rec.every((r) => processAlive(r.pid))).toBe(true);
    // A new berthd re-adopts the VM from its pid file; the servers still serve HyperKit's connections.
    const adoption = await driver().adopt();
    expect(adoption.kind).toBe('adopt');
    const adopted = (adoption as Extract<typeof adoption, { kind: 'adopt' }>).adopted.vm;
    started.push(adopted);
    expect(adopted.pid).toBe(hk);
    await adopted.kill();
    for (const r of rec) expect(await waitForExit(r.pid, 10_000)).toBe(true);
    expect(await until(() => !existsSync(hyperkitFiles(paths).ninepRecord))).toBe(true);
  });

  it('fake: a share that cannot be served stops the start before HyperKit runs, and says so', async () => {
    const c = config();
    c.shares = [{ tag: 'share0', hostPath: join(home, 'missing'), readOnly: false, transport: '9p' }];
    await expect(driver().start(c)).rejects.toThrow(/the shares cannot be served: .*does not exist/);
    expect(existsSync(hyperkitFiles(paths).pidFile)).toBe(false);
  });
});
