// The VM lifecycle on one real VM: the first disk made from the image's template, berth shell (one-shot
// and under a real pty), logs, the guest clock after SIGSTOP/SIGCONT and a paused VM (T-33), settings applied to the VM (T-19, T-35), disk growth,
// disk reclaim, re-adoption after kill -9 of berthd (T-27), a corrupt settings file (T-16), doctor, reset (T-22).
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Status } from '../../helpers/api/vmState.ts';
import { QmpClient } from '../../helpers/berthd/hypervisors/qmpClient.ts';
import { inspectQcow2 } from '../../helpers/berthd/vm/qcow2Header.ts';
import { berthBin, importTestImage, qemuOnDisk, startBerthHarness, TEST_IMAGE, type Berth } from '../engine/engineHarness.ts';

const here = dirname(fileURLToPath(import.meta.url));
let b: Berth;
const figures: Record<string, unknown> = {};
const GiB = 1024 ** 3;

async function status(): Promise<Status> {
  const r = await b.berth(['status', '--json']);
  return JSON.parse(r.stdout) as Status;
}

async function startOk(): Promise<void> {
  const r = await b.berth(['start'], { timeoutMs: 400_000 });
  expect(r.code, `berth start failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
}

async function shell(...argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return b.berth(['shell', '--', ...argv], { timeoutMs: 120_000 });
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** Guest wall clock minus host, in ms, bounded by the command's round trip. */
async function guestClockOffsetMs(): Promise<{ offsetMs: number; rttMs: number }> {
  const t0 = Date.now();
  // busybox date has no %N; adjtimex prints the clock to the microsecond.
  const r = await shell('/bin/busybox', 'adjtimex');
  const t1 = Date.now();
  expect(r.code, r.stderr).toBe(0);
  const sec = /time\.tv_sec:\s+(\d+)/.exec(r.stdout)?.[1];
  const usec = /time\.tv_usec:\s+(\d+)/.exec(r.stdout)?.[1];
  if (sec === undefined || usec === undefined) throw new Error(`no time in the guest's adjtimex output:\n${r.stdout}`);
  const guest = Number(sec) * 1000 + Number(usec) / 1000;
  // The guest read its clock somewhere inside [t0, t1]: the offset is known within the round trip.
  const offsetMs = guest < t0 ? guest - t0 : guest > t1 ? guest - t1 : 0;
  return { offsetMs, rttMs: t1 - t0 };
}

const qemuOnOurDisk = (): number[] => qemuOnDisk(b.paths.dataDisk);

beforeAll(async () => {
  b = startBerthHarness('life');
  b.env.BERTH_HEALTH_CLOCK_MS = '2000';
  await startOk();
  await importTestImage(b);
}, 600_000);

afterAll(async () => {
  console.log(`lifecycle figures: ${JSON.stringify(figures)}`);
  await b?.cleanup();
  expect(qemuOnOurDisk()).toEqual([]);
}, 120_000);

describe('the first start’s disk (the image’s formatted template)', () => {
  it('is copied from the template: the guest mounts it without formatting, clean, and Docker keeps its data there', async () => {
    expect(readFileSync(b.paths.berthdLog, 'utf8')).toMatch(/created \S+data\.qcow2 \(64 GiB\) from the image's formatted template/);
    const consoleText = readFileSync(b.paths.consoleLog, 'utf8');
    expect(consoleText).not.toMatch(/^berth: disk formatted/m);
    expect(consoleText).toMatch(/^berth: disk ready \/dev\/vd[a-z] fsck=0 \(clean\) size=\d+k/m);
    const mounts = (await shell('cat', '/proc/mounts')).stdout;
    expect(mounts).toMatch(/^\/dev\/vd[a-z] \/var\/lib\/docker ext4 rw,/m);
    expect((await b.docker(['image', 'inspect', TEST_IMAGE])).code).toBe(0);
  });
});

describe('berth shell and logs', () => {
  it('runs one command in the VM and passes its output and exit code back', async () => {
    const u = await shell('/bin/busybox', 'uname', '-a');
    expect(u.code, u.stderr).toBe(0);
    expect(u.stdout).toMatch(/^Linux berth \S+/);
    const e = await shell('/bin/sh', '-c', 'echo out; echo err >&2; exit 7');
    expect(e.code).toBe(7);
    expect(e.stdout).toBe('out\n');
    expect(e.stderr).toContain('err');
    const stdin = await new Promise<string>((resolve) => {
      const child = spawn(process.execPath, [berthBin, 'shell', '--', '/bin/busybox', 'wc', '-c'], { env: b.env });
      let out = '';
      child.stdout.on('data', (d) => (out += String(d)));
      child.on('close', () => resolve(out.trim()));
      child.stdin.end('x'.repeat(100_000));
    });
    expect(stdin, 'stdin reaches the command and its end is passed on').toBe('100000');
  });

  it('an interactive shell under a real terminal: size and resize, Ctrl-C, exit code', async () => {
    const steps = [
      { rows: 30, cols: 100, sleep: 0.5 },
      { send: 'stty size; echo M$((6*7))\n', expect: 'M42' },
      { rows: 40, cols: 120, sleep: 1 },
      { send: 'stty size; echo N$((5*5))\n', expect: 'N25' },
      { send: 'sleep 100; echo SLEPT\n', sleep: 1.5 },
      { send: '\x03', sleep: 0.5 },
      { send: 'echo AFTER$((1+1))\n', expect: 'AFTER2' },
      { send: 'exit 3\n' },
    ];
    const out = execFileSync('python3', [join(here, 'ptyDriver.py'), JSON.stringify(steps), '--', process.execPath, berthBin, 'shell'], { env: b.env, encoding: 'utf8', timeout: 180_000 });
    expect(out).toContain('30 100');
    expect(out).toContain('40 120');
    expect(out, 'Ctrl-C interrupted sleep before it finished').not.toMatch(/^SLEPT/m);
    expect(out).toMatch(/PTY-DRIVER-EXIT 3\n$/);
  });

  it('berth logs: host logs and the guest services', async () => {
    const consoleLog = await b.berth(['logs', 'console', '-n', '400']);
    expect(consoleLog.stdout).toContain('berth: docker ready');
    const berthd = await b.berth(['logs']);
    expect(berthd.stdout).toMatch(/running: Docker/);
    const docker = await b.berth(['logs', 'docker', '-n', '20']);
    expect(docker.code, docker.stderr).toBe(0);
    expect(docker.stdout).toMatch(/level=/);
    const bad = await b.berth(['logs', 'nonsense']);
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/choose one of/);
  });
});

describe('T-33: the guest clock follows the host', () => {
  it('after SIGSTOP/SIGCONT of QEMU the guest clock is within 1 s of the host', async () => {
    const pid = (await status()).pid!;
    process.kill(pid, 'SIGSTOP');
    await new Promise((r) => setTimeout(r, 8000));
    const resumed = Date.now();
    process.kill(pid, 'SIGCONT');
    const s = await until('a clock check after the resume', 30_000, async () => {
      const st = await status();
      return st.clock && st.clock.checkedAt > resumed + 500 ? st : undefined;
    });
    figures.driftAfterSigstopMs = s.clock?.driftMs;
    let last = { offsetMs: NaN, rttMs: NaN };
    await until('the guest clock within 1 s of the host after SIGCONT', 20_000, async () => {
      last = await guestClockOffsetMs();
      return Math.abs(last.offsetMs) <= 1000 ? true : undefined;
    }).catch(() => undefined);
    figures.offsetAfterSigstopMs = last.offsetMs;
    expect(Math.abs(last.offsetMs), `guest clock off by ${last.offsetMs} ms (round trip ${last.rttMs} ms)`).toBeLessThanOrEqual(1000);
  });

  it('a VM paused for 10 s (its clock stopped, as in host sleep) is set right within seconds', async () => {
    const qmp = await QmpClient.connect(b.paths.qmpSocket);
    try {
      await qmp.execute('stop');
      await new Promise((r) => setTimeout(r, 10_000));
      await qmp.execute('cont');
    } finally {
      qmp.close();
    }
    const resumed = Date.now();
    const s = await until('a clock correction', 30_000, async () => {
      const st = await status();
      return st.clock?.lastCorrection && st.clock.lastCorrection.at > resumed ? st : undefined;
    });
    figures.pausedCorrection = s.clock?.lastCorrection;
    expect(Math.abs(s.clock!.lastCorrection!.movedMs)).toBeGreaterThan(1000);
    // A guest just resumed can still jump once as its kernel catches up; berthd checks again 2 s after a correction.
    const t0 = Date.now();
    const settled = await until('the guest clock within 1 s of the host after the pause', 20_000, async () => {
      const { offsetMs } = await guestClockOffsetMs();
      return Math.abs(offsetMs) <= 1000 ? offsetMs : undefined;
    });
    figures.pausedSettledMs = { offsetMs: settled, afterCorrectionMs: Date.now() - t0 };
    expect(Math.abs(settled)).toBeLessThanOrEqual(1000);
  });

  it('a guest clock set wrong by hand is corrected by the periodic check', async () => {
    const wrong = Math.floor(Date.now() / 1000) - 3600;
    expect((await shell('/bin/busybox', 'date', '-s', `@${wrong}`)).code).toBe(0);
    const t0 = Date.now();
    await until('the guest clock set right again', 30_000, async () => {
      const { offsetMs } = await guestClockOffsetMs();
      return Math.abs(offsetMs) <= 1000 ? true : undefined;
    });
    figures.handSkewFixedSeconds = (Date.now() - t0) / 1000;
    expect(readFileSync(b.paths.berthdLog, 'utf8')).toMatch(/guest clock was 3\d{3}\.\d+ s behind/);
  });
});

describe('settings applied to the VM', () => {
  it('T-19: absurd values are refused with the host limit, and nothing changes', async () => {
    const file = join(b.home, 'settings.json');
    const read = (): string | undefined => (existsSync(file) ? readFileSync(file, 'utf8') : undefined);
    const before = read();
    for (const [arg, pattern] of [
      ['cpus=0', /at least 1 CPU/],
      ['cpus=1e9', /at most \d+ \(the host has \d+ CPUs\)/],
      ['memory=1e15', /at most .*GiB/],
      ['memory=0', /at least 1 GiB/],
      ['disk=10GiB', /already 64 GiB/],
    ] as const) {
      const r = await b.berth(['settings', 'set', arg]);
      expect(r.code, `${arg} must be refused`).not.toBe(0);
      expect(r.stderr).toMatch(pattern);
    }
    expect(read()).toBe(before);
  });

  it('T-35: cpus=1 memory=3GiB disk=72GiB --apply restarts the VM with them; images survive; the disk grew', async () => {
    const pid = (await status()).pid;
    const t0 = Date.now();
    const r = await b.berth(
      ['settings', 'set', 'cpus=1', 'memory=3GiB', 'disk=72GiB', 'docker.daemon={"labels":["berth-test=applied"]}', 'docker.proxy.http=http://127.0.0.1:3128', '--apply'],
      { timeoutMs: 400_000 },
    );
    figures.applyRestartSeconds = (Date.now() - t0) / 1000;
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/the VM restarted to apply cpus, memory, disk, docker\.daemon, docker\.proxy/);
    const info = await b.docker(['info', '--format', '{{json .Labels}} {{.HTTPProxy}}']);
    expect(info.stdout.trim(), 'daemon.json and the proxy reach dockerd').toBe('["berth-test=applied"] http://127.0.0.1:3128');
    const s = await status();
    expect(s.pid).not.toBe(pid);
    expect(s.resources).toEqual({ cpus: 1, memoryBytes: 3 * GiB, diskBytes: 72 * GiB });
    expect((await shell('/bin/busybox', 'nproc')).stdout.trim()).toBe('1');
    const mem = Number(/MemTotal:\s+(\d+) kB/.exec((await shell('cat', '/proc/meminfo')).stdout)![1]) * 1024;
    figures.guestMemTotal = mem;
    expect(mem).toBeGreaterThan(2.7 * GiB);
    expect(mem).toBeLessThanOrEqual(3 * GiB);
    const df = (await shell('/bin/busybox', 'df', '-k', '/var/lib/docker')).stdout;
    const kb = Number(df.trim().split('\n')[1]!.split(/\s+/)[1]);
    figures.guestDiskKiB = kb;
    expect(kb * 1024).toBeGreaterThan(68 * GiB);
    expect(inspectQcow2(b.paths.dataDisk)?.virtualSize).toBe(72 * GiB);
    const run = await b.docker(['run', '--rm', TEST_IMAGE, 'echo', 'kept']);
    expect(run.stdout.trim(), run.stderr).toBe('kept');
    const smaller = await b.berth(['settings', 'set', 'disk=64GiB']);
    expect(smaller.code).not.toBe(0);
    expect(smaller.stderr).toMatch(/already 72 GiB/);
  });

  it('a live setting applies without a restart; `settings get` reads one key', async () => {
    const r = await b.berth(['settings', 'set', 'stopVmOnQuit=false']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/in effect now/);
    expect((await b.berth(['settings', 'get', 'stopVmOnQuit'])).stdout.trim()).toBe('false');
    expect((await b.berth(['settings', 'get', 'memory'])).stdout.trim()).toBe(String(3 * GiB));
  });
});

describe('berth settings edit', () => {
  it('saves a valid edit, and refuses an invalid one keeping the edit for the user', async () => {
    const editor = join(b.home, 'fake-editor.sh');
    // An "editor" that rewrites the file the way the test asks (EDIT_TO: the text to write).
    writeFileSync(editor, '#!/bin/sh\nprintf "%s" "$EDIT_TO" > "$1"\n', { mode: 0o755 });
    const current = JSON.parse((await b.berth(['settings', 'get', '--json'])).stdout).settings as Record<string, unknown>;
    const edit = (to: unknown) => b.berth(['settings', 'edit'], { env: { EDITOR: editor, EDIT_TO: JSON.stringify(to) } });
    const bad = await edit({ ...current, cpus: 0 });
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toMatch(/at least 1 CPU/);
    expect(bad.stderr).toMatch(/your edit is kept in .*settings-edit-\d+\.json/);
    const good = await edit({ ...current, startAtLogin: true });
    expect(good.code, good.stderr).toBe(0);
    expect((await b.berth(['settings', 'get', 'startAtLogin'])).stdout.trim()).toBe('true');
  });
});

describe('disk reclaim', () => {
  it('after `docker image rm` of a large image the qcow2 shrinks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'berth-big-'));
    try {
      writeFileSync(join(dir, 'blob'), randomBytes(120 * 1024 * 1024));
      execFileSync('tar', ['-C', dir, '-cf', join(dir, '..', 'big.tar'), 'blob']);
      const imp = await b.docker(['import', join(dir, '..', 'big.tar'), 'berth-test/big:1'], { timeoutMs: 300_000 });
      expect(imp.code, imp.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(`${dir}/../big.tar`, { force: true });
    }
    await new Promise((r) => setTimeout(r, 5000));
    const withImage = inspectQcow2(b.paths.dataDisk)!.allocatedBytes;
    expect((await b.docker(['image', 'rm', 'berth-test/big:1'])).code).toBe(0);
    const r = await b.berth(['disk', 'reclaim'], { timeoutMs: 300_000 });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/now takes/);
    const after = inspectQcow2(b.paths.dataDisk)!.allocatedBytes;
    figures.reclaim = { withImageMiB: Math.round(withImage / 2 ** 20), afterMiB: Math.round(after / 2 ** 20), said: r.stdout.trim() };
    expect(withImage - after).toBeGreaterThan(90 * 1024 * 1024);
  });
});

describe('T-27: berthd killed while the VM runs', () => {
  it('the next berthd re-adopts the same VM: containers keep running, nothing reboots', async () => {
    const run = await b.docker(['run', '-d', '--name', 'survivor', TEST_IMAGE, 'sleep', '600']);
    expect(run.code, run.stderr).toBe(0);
    const before = await status();
    const berthdPid = b.berthdPid()!;
    process.kill(berthdPid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 500));
    expect(qemuOnOurDisk(), 'QEMU outlives berthd').toEqual([before.pid]);
    const t0 = Date.now();
    await startOk();
    figures.readoptSeconds = (Date.now() - t0) / 1000;
    const s = await status();
    expect(s.berthdPid).not.toBe(berthdPid);
    expect(s.pid, 'the same QEMU').toBe(before.pid);
    expect(s.adopted).toBe(true);
    expect(s.resources).toEqual(before.resources);
    expect(qemuOnOurDisk(), 'never two VMs on one disk').toEqual([before.pid]);
    const ps = await b.docker(['ps', '--format', '{{.Names}}']);
    expect(ps.stdout.split('\n')).toContain('survivor');
    expect((await b.docker(['rm', '-f', 'survivor'])).code).toBe(0);
    const log = readFileSync(b.paths.berthdLog, 'utf8');
    expect(log).toContain(`re-adopting the VM an earlier berthd started (QEMU pid ${before.pid}`);
  });
});

describe('settings damage and diagnostics', () => {
  it('T-16: a settings.json broken while Berth runs is kept aside at the next start; Berth runs on the last good values', async () => {
    writeFileSync(join(b.home, 'settings.json'), '{"version": 3, "cpus": 2,,, oops');
    const r = await b.berth(['restart'], { timeoutMs: 400_000 });
    expect(r.code, r.stderr).toBe(0);
    const s = await status();
    expect(s.settings.status).toBe('corrupt');
    expect(s.settings.badFile).toMatch(/settings\.json\.bad-/);
    expect(readFileSync(s.settings.badFile!, 'utf8')).toContain('oops');
    expect(s.resources?.cpus, 'the last good settings, not the defaults').toBe(1);
    const text = await b.berth(['status']);
    expect(text.stdout).toMatch(/settings: +corrupt — the damaged file was kept as .*bad-/);
  });

  it('berth doctor explains each check and exits non-zero only when something fails', async () => {
    const r = await b.berth(['doctor', '--json']);
    const report = JSON.parse(r.stdout) as { ok: boolean; checks: { id: string; status: string; detail: string; fix?: string }[] };
    const ids = report.checks.map((c) => c.id);
    for (const id of ['qemu', 'qemu-img', 'accel', 'docker-socket', 'docker-default-socket', 'docker-context', 'host-disk', 'guest-clock', 'settings', 'vm']) expect(ids).toContain(id);
    expect(report.checks.find((c) => c.id === 'guest-clock')!.status).toBe('ok');
    expect(r.code).toBe(report.ok ? 0 : 1);
    for (const c of report.checks.filter((x) => x.status !== 'ok')) expect(c.fix, `${c.id} says what to do`).toBeTruthy();
    const text = await b.berth(['doctor']);
    expect(text.stdout).toMatch(/QEMU/);
  });
});

describe('T-22: factory reset', () => {
  it('deletes the VM disk and runtime state, never a share or anything outside $BERTH_HOME', async () => {
    const share = mkdtempSync(join(tmpdir(), 'berth-share-'));
    mkdirSync(join(share, 'sub dir ü'), { recursive: true });
    const sentinels = [join(share, 'sentinel.txt'), join(share, 'sub dir ü', 'inner.bin')];
    for (const f of sentinels) writeFileSync(f, `keep ${f}`);
    const hash = (): string => createHash('sha256').update(sentinels.map((f) => readFileSync(f)).join('|')).digest('hex');
    const before = hash();
    try {
      const set = await b.berth(['settings', 'set', `shares=[{"hostPath":${JSON.stringify(share)},"writable":true}]`]);
      expect(set.code, set.stderr).toBe(0);
      const noForce = await b.berth(['reset']);
      expect(noForce.code, 'without a terminal or --force nothing is deleted').not.toBe(0);
      expect(existsSync(b.paths.dataDisk)).toBe(true);
      const r = await b.berth(['reset', '--force'], { timeoutMs: 120_000 });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/data\.qcow2/);
      expect(existsSync(b.paths.dataDisk)).toBe(false);
      expect(existsSync(join(b.home, 'settings.json')), 'settings are kept').toBe(true);
      expect((await status()).state).toBe('stopped');
      expect(qemuOnOurDisk()).toEqual([]);
      expect(hash()).toBe(before);
    } finally {
      rmSync(share, { recursive: true, force: true });
    }
  });
});
