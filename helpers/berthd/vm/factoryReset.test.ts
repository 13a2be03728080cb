// Owns: tests of factoryReset.ts (T-22): only Berth's own files in $BERTH_HOME are planned and deleted; planted
// symbolic links lose only the link; sentinels outside (a share, link targets) keep their sha256; lock and settings stay.
import { createHash } from 'node:crypto';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resetPlanSchema, resetResultSchema, type ResetPlan } from '../../api/diagnostics.ts';
import { berthPaths, privateDir, type BerthPaths } from '../paths.ts';
import { describeResetPlan, isInside, performReset, planReset } from './factoryReset.ts';

let root: string;
let n = 0;
const servers: Server[] = [];
const extraDirs: string[] = [];
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-reset-'));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
  for (const d of [root, ...extraDirs]) rmSync(d, { recursive: true, force: true });
});

const sha = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');
const exists = (path: string): boolean => lstatSync(path, { throwIfNoEntry: false }) !== undefined;
const HARD = 'my file — ünïcødé 日本 .log';

/** A live socket at `path` (a stale one would do as well; live proves nothing is asked of it). */
async function socketAt(path: string): Promise<void> {
  const s = createServer();
  servers.push(s);
  await new Promise<void>((resolve) => s.listen(path, resolve));
}

function write(path: string, content: string | Buffer): string {
  writeFileSync(path, content);
  return path;
}

/** A case folder with a BERTH_HOME holding every file Berth makes, and a share outside it with sentinels. */
async function world(): Promise<{ paths: BerthPaths; caseDir: string; share: string; sentinels: Map<string, string> }> {
  const caseDir = join(root, `c${n++}`);
  const paths = berthPaths(join(caseDir, 'home'));
  for (const d of [paths.home, paths.vmDir, paths.runDir, paths.logsDir]) mkdirSync(d, { recursive: true });
  write(paths.dataDisk, Buffer.alloc(256 * 1024, 7));
  write(paths.configDisk, 'tar');
  for (const f of ['qemu.pid', 'accel-probe.json', 'vm.json', 'qemu-stderr.log']) write(join(paths.runDir, f), f);
  write(paths.lockFile, `${process.pid}\n`);
  await socketAt(paths.dockerSocket);
  await socketAt(paths.controlSocket);
  write(paths.consoleLog, 'console');
  write(paths.berthdLog, 'berthd');
  write(join(paths.logsDir, HARD), 'hard to name');
  for (const f of ['settings.json', 'settings.json.last-good', 'settings.json.bad-2025-01-01T00-00-00.000Z', 'settings.json.v2.bak', 'settings.json.tmp-99999-abcdef']) write(join(paths.home, f), f);
  const share = join(caseDir, 'share');
  mkdirSync(join(share, 'deep'), { recursive: true });
  const sentinels = new Map<string, string>();
  for (const [name, body] of [['data.qcow2', 'NOT a disk: my thesis'], [HARD, 'unicode sentinel'], ['x.sock', 'a file, not a socket'], ['deep/console.log', 'my own log'], ['settings.json', 'my app settings']] as const) {
    sentinels.set(write(join(share, name), body), '');
  }
  for (const p of sentinels.keys()) sentinels.set(p, sha(p));
  return { paths, caseDir, share, sentinels };
}

function expectSentinelsIntact(sentinels: Map<string, string>): void {
  for (const [p, digest] of sentinels) expect([p, sha(p)]).toStrictEqual([p, digest]);
}

describe('planReset', () => {
  it("T-22: lists exactly Berth's own files, with sizes, never the lock file or the control socket, and settings only when asked", async () => {
    const { paths } = await world();
    write(join(paths.home, 'my-notes.txt'), 'mine');
    write(join(paths.vmDir, 'other.img'), 'not a name Berth uses');
    write(join(paths.logsDir, 'notes.txt'), 'not a log');
    const plan = planReset(paths, { includeSettings: false });
    expect(resetPlanSchema.parse(plan)).toStrictEqual(plan);
    const rel = plan.items.map((i) => i.path.slice(paths.home.length + 1)).sort();
    expect(rel).toStrictEqual(['logs/berthd.log', 'logs/console.log', `logs/${HARD}`, 'run/accel-probe.json', 'run/docker.sock', 'run/qemu-stderr.log', 'run/qemu.pid', 'run/vm.json', 'vm/config.tar', 'vm/data.qcow2'].sort());
    const disk = plan.items.find((i) => i.path === paths.dataDisk);
    expect(disk).toMatchObject({ kind: 'file', what: "the VM's disk: images, containers and volumes" });
    expect(disk?.bytes).toBe(statSync(paths.dataDisk).blocks * 512);
    expect(plan.items.find((i) => i.path === paths.dockerSocket)?.kind).toBe('socket');
    expect(plan.totalBytes).toBe(plan.items.reduce((s, i) => s + i.bytes, 0));
    const withSettings = planReset(paths, { includeSettings: true }).items.map((i) => i.path).filter((p) => p.includes('settings.json'));
    expect(withSettings.length).toBe(5);
  });

  it('T-22: a missing BERTH_HOME plans nothing', () => {
    const plan = planReset(berthPaths(join(root, 'never-made')), { includeSettings: true });
    expect(plan.items).toStrictEqual([]);
    expect(describeResetPlan(plan)[0]).toMatch(/^nothing to delete/);
  });

  it("T-22: isInside is by name: home itself, siblings with a common prefix and .. are outside", () => {
    expect(isInside('/h/.berth', '/h/.berth/vm/data.qcow2')).toBe(true);
    expect(isInside('/h/.berth', '/h/.berth')).toBe(false);
    expect(isInside('/h/.berth', '/h/.berth-old/vm')).toBe(false);
    expect(isInside('/h/.berth', '/h/.berth/../x')).toBe(false);
  });
});

describe('planReset + performReset with planted symbolic links (T-22)', () => {
  it('T-22: links to a share lose only the link; every sentinel keeps its sha256; lock and settings stay', async () => {
    const { paths, caseDir, share, sentinels } = await world();
    // vm/data.qcow2 -> a sentinel outside; logs -> a folder outside; run/x.sock -> a file outside; settings.json.v1.bak -> share.
    rmSync(paths.dataDisk);
    symlinkSync(join(share, 'data.qcow2'), paths.dataDisk);
    const outsideLogs = join(caseDir, 'outside-logs');
    mkdirSync(outsideLogs);
    for (const f of ['console.log', 'berthd.log', HARD]) sentinels.set(write(join(outsideLogs, f), `outside ${f}`), '');
    rmSync(paths.logsDir, { recursive: true });
    symlinkSync(outsideLogs, paths.logsDir);
    symlinkSync(join(share, 'x.sock'), join(paths.runDir, 'x.sock'));
    symlinkSync(join(share, 'settings.json'), join(paths.home, 'settings.json.v1.bak'));
    for (const p of sentinels.keys()) sentinels.set(p, sha(p));

    const plan = planReset(paths, { includeSettings: false });
    expect(plan.items.every((i) => isInside(paths.home, i.path))).toBe(true);
    expect(plan.items.some((i) => i.path.startsWith(outsideLogs) || i.path.startsWith(share))).toBe(false);
    const links = plan.items.filter((i) => i.kind === 'symlink');
    expect(links.map((i) => i.path).sort()).toStrictEqual([paths.dataDisk, paths.logsDir, join(paths.runDir, 'x.sock')].sort());
    for (const l of links) {
      expect(l.bytes).toBe(0);
      expect(l.what).toContain('a symbolic link');
      expect(l.what).toContain('only the link is removed');
    }
    expect(plan.items.some((i) => i.path.includes('settings.json'))).toBe(false);

    const result = performReset(plan, paths);
    expect(resetResultSchema.parse(result)).toStrictEqual(result);
    expect(result.deleted.map((d) => d.path).sort()).toStrictEqual(plan.items.map((i) => i.path).sort());
    expectSentinelsIntact(sentinels);
    for (const l of links) expect(exists(l.path)).toBe(false);
    expect(readdirSync(outsideLogs).sort()).toStrictEqual(['berthd.log', 'console.log', HARD].sort());
    expect(exists(paths.lockFile)).toBe(true);
    expect(exists(paths.controlSocket)).toBe(true);
    expect(exists(join(paths.home, 'settings.json'))).toBe(true);
    expect(lstatSync(join(paths.home, 'settings.json.v1.bak')).isSymbolicLink()).toBe(true);
    expect(result.kept.some((k) => k.startsWith(`${join(paths.home, 'settings.json')}:`))).toBe(true);
    expect(result.kept.some((k) => k.startsWith(`${paths.lockFile}:`))).toBe(true);
    expect(result.kept.some((k) => k.startsWith(`${join(share, 'data.qcow2')}: what the link`))).toBe(true);
  });

  it('T-22: with settings included, settings files go (a settings link as a link only), the lock and the share stay', async () => {
    const { paths, share, sentinels } = await world();
    rmSync(join(paths.home, 'settings.json'));
    symlinkSync(join(share, 'settings.json'), join(paths.home, 'settings.json'));
    const plan = planReset(paths, { includeSettings: true });
    expect(plan.items.find((i) => i.path === join(paths.home, 'settings.json'))?.kind).toBe('symlink');
    performReset(plan, paths);
    expectSentinelsIntact(sentinels);
    expect(readdirSync(paths.home).sort()).toStrictEqual(['logs', 'run', 'vm']);
    expect(readdirSync(paths.runDir).sort()).toStrictEqual(['berth.sock', 'berthd.lock']);
    expect(readdirSync(paths.vmDir)).toStrictEqual([]);
    expect(readdirSync(paths.logsDir)).toStrictEqual([]);
  });

  it('T-22: a vm/ that is a link to a folder outside is removed as a link; the disk behind it is not listed or touched', async () => {
    const { paths, caseDir, sentinels } = await world();
    const elsewhere = join(caseDir, 'big-disk');
    mkdirSync(elsewhere);
    sentinels.set(write(join(elsewhere, 'data.qcow2'), 'the disk behind the link'), '');
    sentinels.set(write(join(elsewhere, 'config.tar'), 'tar behind the link'), '');
    for (const p of sentinels.keys()) sentinels.set(p, sha(p));
    rmSync(paths.vmDir, { recursive: true });
    symlinkSync(elsewhere, paths.vmDir);
    const plan = planReset(paths, { includeSettings: true });
    expect(plan.items.filter((i) => i.path.startsWith(paths.vmDir))).toStrictEqual([expect.objectContaining({ path: paths.vmDir, kind: 'symlink', bytes: 0 })]);
    performReset(plan, paths);
    expect(exists(paths.vmDir)).toBe(false);
    expectSentinelsIntact(sentinels);
  });

  it('T-22: a run/ that is a link is left whole (the lock is behind it)', async () => {
    const { paths, caseDir } = await world();
    const realRun = join(caseDir, 'real-run');
    rmSync(paths.runDir, { recursive: true, force: true });
    mkdirSync(realRun);
    write(join(realRun, 'berthd.lock'), 'lock');
    write(join(realRun, 'qemu.pid'), '1');
    symlinkSync(realRun, paths.runDir);
    const plan = planReset(paths, { includeSettings: true });
    expect(plan.items.some((i) => i.path.startsWith(paths.runDir))).toBe(false);
    performReset(plan, paths);
    expect(readdirSync(realRun).sort()).toStrictEqual(['berthd.lock', 'qemu.pid']);
  });
});

describe('performReset re-checks the plan (T-22)', () => {
  it('T-22: an entry that became a folder, or a vm/ swapped for a link after planning, is kept with why', async () => {
    const { paths, caseDir, sentinels } = await world();
    const plan = planReset(paths, { includeSettings: false });
    rmSync(paths.configDisk);
    mkdirSync(paths.configDisk);
    sentinels.set(write(join(paths.configDisk, 'inside.txt'), 'inside a folder'), '');
    // Later, vm/ is swapped for a link to a folder holding a file of the planned name.
    const swapped = join(caseDir, 'swapped');
    mkdirSync(swapped);
    sentinels.set(write(join(swapped, 'data.qcow2'), 'swapped in after the plan'), '');
    for (const p of sentinels.keys()) sentinels.set(p, sha(p));
    const result = performReset(plan, paths);
    expect(result.deleted.map((d) => d.path)).toContain(paths.dataDisk);
    expect(result.kept.some((k) => k.startsWith(`${paths.configDisk}: it is a folder now`))).toBe(true);
    expect(exists(join(paths.configDisk, 'inside.txt'))).toBe(true);

    const plan2: ResetPlan = { ...plan, items: [{ path: paths.dataDisk, what: 'x', bytes: 0, kind: 'file' }] };
    rmSync(paths.vmDir, { recursive: true });
    symlinkSync(swapped, paths.vmDir);
    const result2 = performReset(plan2, paths);
    expect(result2.deleted).toStrictEqual([]);
    expect(result2.kept.some((k) => k.startsWith(`${paths.dataDisk}: it is not one of Berth's own files now`))).toBe(true);
    expect(exists(join(swapped, 'data.qcow2'))).toBe(true);
    sentinels.delete(join(paths.configDisk, 'inside.txt'));
    expectSentinelsIntact(sentinels);
  });

  it("T-22: a forged plan naming files outside BERTH_HOME, the lock or a user's file inside it deletes none of them", async () => {
    const { paths, share, sentinels } = await world();
    const mine = write(join(paths.home, 'my-notes.txt'), 'mine');
    const forged: ResetPlan = {
      home: '/',
      includeSettings: true,
      items: [...sentinels.keys(), mine, paths.lockFile, paths.controlSocket, share].map((path) => ({ path, what: 'x', bytes: 0, kind: 'file' as const })),
      totalBytes: 0,
    };
    const result = performReset(forged, paths);
    expect(result.deleted).toStrictEqual([]);
    expectSentinelsIntact(sentinels);
    for (const p of [mine, paths.lockFile, paths.controlSocket, share]) expect(exists(p)).toBe(true);
  });

  it('T-22: a file of the planned name that became a link since is kept (the kind changed)', async () => {
    const { paths, share, sentinels } = await world();
    const plan = planReset(paths, { includeSettings: false });
    rmSync(paths.dataDisk);
    symlinkSync(join(share, 'data.qcow2'), paths.dataDisk);
    const result = performReset(plan, paths);
    expect(result.kept.some((k) => k.startsWith(`${paths.dataDisk}: it was a file when the reset was planned and is a symlink now`))).toBe(true);
    expect(lstatSync(paths.dataDisk).isSymbolicLink()).toBe(true);
    expectSentinelsIntact(sentinels);
  });
});

describe('sockets in the short socket folder outside a long BERTH_HOME (T-22, T-23)', () => {
  it('T-22: only socket entries of that private folder are listed; a regular file there is left', async () => {
    const deep = join(root, 'x'.repeat(60), 'y'.repeat(40));
    const paths = berthPaths(join(deep, 'home'));
    expect(paths.socketDir.startsWith(paths.home)).toBe(false);
    extraDirs.push(paths.socketDir);
    mkdirSync(paths.home, { recursive: true });
    privateDir(paths.socketDir);
    await socketAt(paths.qmpSocket);
    const file = write(join(paths.socketDir, 'note.sock'), 'a file');
    const plan = planReset(paths, { includeSettings: false });
    expect(plan.items.map((i) => i.path)).toStrictEqual([paths.qmpSocket]);
    performReset(plan, paths);
    expect(exists(paths.qmpSocket)).toBe(false);
    expect(readFileSync(file, 'utf8')).toBe('a file');
  });
});

describe('describeResetPlan', () => {
  it('says what goes with its size, the total, and what stays', async () => {
    const { paths } = await world();
    const lines = describeResetPlan(planReset(paths, { includeSettings: false }));
    expect(lines).toContain(`will delete: ${paths.dataDisk}: the VM's disk: images, containers and volumes (256 KiB)`);
    expect(lines.at(-2)).toMatch(/^in all: .* freed$/);
    expect(lines.at(-1)).toBe(`will keep: settings.json, your shares and everything outside ${paths.home}`);
    expect(describeResetPlan(planReset(paths, { includeSettings: true })).at(-1)).toBe(`will keep: your shares and everything outside ${paths.home}`);
  });
});
