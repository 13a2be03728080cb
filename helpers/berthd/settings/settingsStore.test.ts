// Owns: tests of settingsStore.ts and atomicFileWrite.ts: each load outcome (ok, missing, corrupt with and
// without a last good copy, future), BOM, unknown and missing keys, host fits, saves, and stray temp files.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings, GiB, type Settings, type SettingsHostFacts } from '../../api/settings.ts';
import { badFileName, removeStrayTemps, writeFileAtomic } from './atomicFileWrite.ts';
import { lastGoodPath, loadSettings, saveSettings, serializeSettings, SettingsSaveError } from './settingsStore.ts';

const host: SettingsHostFacts = { cpus: 8, memoryBytes: 16 * GiB, home: '/Users/ada' };
const defaults = defaultSettings(host);
const mine: Settings = { ...defaults, cpus: 4, memory: 6 * GiB, startAtLogin: true, docker: { daemon: { debug: true }, proxy: {} } };

let root: string;
let n = 0;
/** A fresh folder and the settings.json path in it. */
function fresh(): { dir: string; path: string } {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir);
  return { dir, path: join(dir, 'settings.json') };
}
const files = (dir: string) => readdirSync(dir).sort();
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-settings-store-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

async function deadPid(): Promise<number> {
  const c = spawn(process.execPath, ['-e', ''], { stdio: 'ignore' });
  await new Promise((r) => c.once('exit', r));
  if (!c.pid) throw new Error('could not spawn node');
  return c.pid;
}

describe('loadSettings', () => {
  it('missing: the defaults, and nothing written until the first save', () => {
    const { dir, path } = fresh();
    expect(loadSettings(path, host)).toStrictEqual({ status: 'missing', settings: defaults, notes: [], unknownKeys: [], removedTemps: [] });
    expect(files(dir)).toStrictEqual([]);
  });

  it('ok: what was saved, with the file untouched, private (0600) and a last good copy beside it', () => {
    const { dir, path } = fresh();
    saveSettings(path, mine);
    expect(files(dir)).toStrictEqual(['settings.json', 'settings.json.last-good']);
    const text = readFileSync(path, 'utf8');
    expect(text).toBe(serializeSettings(mine));
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(loadSettings(path, host)).toStrictEqual({ status: 'ok', settings: mine, notes: [], unknownKeys: [], removedTemps: [] });
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('corrupt with a last good copy: the bad file is kept byte for byte, settings.json gets the last good values back', () => {
    const { dir, path } = fresh();
    saveSettings(path, mine);
    const bad = Buffer.from('{"version": 3, "cpus": 4,,}');
    writeFileSync(path, bad);
    const r = loadSettings(path, host);
    expect(r).toMatchObject({ status: 'corrupt', recoveredFrom: 'last-good', settings: mine });
    if (r.status !== 'corrupt' || !r.badFile) throw new Error('expected a bad file');
    expect(r.reason).toContain('is not valid JSON');
    expect(r.reason).toContain('trailing comma');
    expect(r.badFile).toMatch(/settings\.json\.bad-\d{4}-\d\d-\d\dT\d\d-\d\d-\d\d\.\d{3}Z$/);
    expect(readFileSync(r.badFile)).toStrictEqual(bad);
    expect(r.notes[0]).toContain('Berth kept it as settings.json.bad-');
    expect(r.notes[0]).toContain('uses the last good settings');
    expect(readFileSync(path, 'utf8')).toBe(serializeSettings(mine));
    expect(loadSettings(path, host)).toMatchObject({ status: 'ok', settings: mine });
    expect(files(dir).filter((f) => f.includes('.bad-'))).toHaveLength(1);
  });

  it('corrupt without a last good copy: the bad file is moved aside and the defaults are used, not written', () => {
    const { dir, path } = fresh();
    writeFileSync(path, Buffer.alloc(512));
    const r = loadSettings(path, host);
    expect(r).toMatchObject({ status: 'corrupt', recoveredFrom: 'defaults', settings: defaults });
    expect(r.status === 'corrupt' && r.reason).toBe('is all NUL bytes (512), as a file the system lost in a crash is');
    expect(files(dir)).toHaveLength(1);
    expect(files(dir)[0]).toMatch(/^settings\.json\.bad-/);
    expect(loadSettings(path, host).status).toBe('missing');
  });

  it('corrupt: a 10 MB file is set aside without being read whole', () => {
    const { path } = fresh();
    writeFileSync(path, Buffer.alloc(10 * 1024 * 1024, 0x20));
    const r = loadSettings(path, host);
    expect(r.status === 'corrupt' && r.reason).toBe('is 10 MiB, far more than settings ever take (at most 1 MiB)');
    expect(r.status === 'corrupt' && r.badFile && statSync(r.badFile).size).toBe(10 * 1024 * 1024);
  });

  it('corrupt: wrong types name the setting and value', () => {
    const { path } = fresh();
    writeFileSync(path, JSON.stringify({ ...mine, cpus: 'four' }));
    const r = loadSettings(path, host);
    expect(r.status === 'corrupt' && r.reason).toBe('has settings Berth cannot use: cpus "four" is not a whole number of CPUs, like 2');
  });

  it('tolerates a UTF-8 BOM, saying so, and saves without it', () => {
    const { path } = fresh();
    writeFileSync(path, Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(serializeSettings(mine))]));
    const r = loadSettings(path, host);
    expect(r).toMatchObject({ status: 'ok', settings: mine });
    expect(r.notes).toStrictEqual(['settings.json starts with a byte-order mark (some editors add one); Berth ignored it, and saves the file without it']);
    saveSettings(path, r.settings);
    expect(readFileSync(path)[0]).toBe(0x7b);
  });

  it('reports unknown keys without using them, and drops them at the next save', () => {
    const { path } = fresh();
    writeFileSync(path, JSON.stringify({ ...mine, theme: 'dark', ports: { bindAddress: '::1', range: [1, 2] } }));
    const r = loadSettings(path, host);
    expect(r).toMatchObject({ status: 'ok', settings: { ...mine, ports: { bindAddress: '::1' } }, unknownKeys: ['theme', 'ports.range'] });
    expect(r.notes).toStrictEqual(['settings.json has theme, ports.range, which this Berth does not know; they are not used and will be dropped at the next save']);
    expect(JSON.parse(readFileSync(path, 'utf8'))).toHaveProperty('theme'); // kept until a save
    saveSettings(path, r.settings);
    expect(JSON.parse(readFileSync(path, 'utf8'))).not.toHaveProperty('theme');
  });

  it('fills missing keys with defaults, and fits values past this host without rewriting the file', () => {
    const { path } = fresh();
    const { startAtLogin: _s, ...partial } = mine;
    const text = JSON.stringify({ ...partial, cpus: 32, memory: 64 * GiB });
    writeFileSync(path, text);
    const r = loadSettings(path, host);
    expect(r).toMatchObject({ status: 'ok', settings: { ...mine, startAtLogin: false, cpus: 8, memory: 14 * GiB } });
    expect(r.notes).toStrictEqual([
      'settings.json has no startAtLogin; using the default (false)',
      'cpus 32 is more than this host has; using 8 (the host has 8 CPUs)',
      'memory 64 GiB is more than this host can give; using 14 GiB (host RAM 16 GiB less 2 GiB for the host)',
    ]);
    expect(readFileSync(path, 'utf8')).toBe(text);
  });

  it('fits a disk setting smaller than the VM disk up to its size', () => {
    const { path } = fresh();
    saveSettings(path, mine);
    const r = loadSettings(path, { ...host, currentDiskBytes: 80 * GiB });
    expect(r.settings.disk).toBe(80 * GiB);
    expect(r.notes).toStrictEqual(["disk 64 GiB is smaller than the VM's disk, which is already 80 GiB; using 80 GiB (a disk only grows)"]);
  });

  it('future: uses what validates, read-only; never rewrites the file; saves are refused with the reason', () => {
    const { dir, path } = fresh();
    const text = JSON.stringify({ ...mine, version: 5, accel: 'vz', gpu: { enabled: true } }, null, 2);
    writeFileSync(path, text);
    const r = loadSettings(path, host);
    expect(r).toMatchObject({ status: 'future', futureVersion: 5, settings: { ...mine, accel: 'auto' }, unknownKeys: ['gpu'] });
    expect(r.notes[0]).toBe(
      'settings.json was written by a newer Berth (settings version 5; this Berth knows up to 4). Berth uses what it understands and will not change the file: update Berth to change settings',
    );
    expect(r.notes.join('\n')).toContain('accel from the newer Berth\'s settings is not one this Berth can use (accel "vz" is not one of auto, kvm, hvf, whpx, tcg); using "auto"');
    expect(() => saveSettings(path, r.settings)).toThrow(SettingsSaveError);
    expect(() => saveSettings(path, r.settings)).toThrow(/newer Berth \(settings version 5; this one knows up to 4\), so Berth will not overwrite it: update Berth/);
    expect(readFileSync(path, 'utf8')).toBe(text);
    expect(files(dir)).toStrictEqual(['settings.json']);
  });

  it('removes temp files of dead writers, and keeps those of live ones', async () => {
    const { dir, path } = fresh();
    saveSettings(path, mine);
    const dead = await deadPid();
    const deadTemps = [`settings.json.tmp-${dead}-00ff00`, `settings.json.last-good.tmp-${dead}-abcdef`];
    const liveTemp = `settings.json.tmp-${process.pid}-123456`;
    for (const t of [...deadTemps, liveTemp, 'other.json.tmp-1-aa']) writeFileSync(join(dir, t), '{"ver');
    const r = loadSettings(path, host);
    expect(r).toMatchObject({ status: 'ok', settings: mine });
    expect([...r.removedTemps].sort()).toStrictEqual([...deadTemps].sort());
    expect(files(dir)).toStrictEqual(['other.json.tmp-1-aa', 'settings.json', 'settings.json.last-good', liveTemp].sort());
    expect(removeStrayTemps(path, () => false)).toStrictEqual([]); // our own pid is never "dead"
  });

  it('refreshes a damaged last good copy at the next load', () => {
    const { path } = fresh();
    saveSettings(path, mine);
    writeFileSync(lastGoodPath(path), 'garbage');
    expect(loadSettings(path, host).status).toBe('ok');
    expect(readFileSync(lastGoodPath(path), 'utf8')).toBe(serializeSettings(mine));
  });

  it('never throws on an unreadable path: a directory where the file should be is set aside', () => {
    const { dir, path } = fresh();
    mkdirSync(path);
    const r = loadSettings(path, host);
    expect(r).toMatchObject({ status: 'corrupt', reason: 'is not a regular file', settings: defaults });
    expect(existsSync(path)).toBe(false);
    expect(files(dir)[0]).toMatch(/^settings\.json\.bad-/);
  });
});

describe('saveSettings', () => {
  it('refuses settings that are not valid, writing nothing', () => {
    const { dir, path } = fresh();
    expect(() => saveSettings(path, { ...mine, cpus: 1.5 })).toThrow(/Berth did not save the settings because they are not valid \(cpus: .*\); nothing was changed/);
    expect(files(dir)).toStrictEqual([]);
  });

  it('keeps a damaged settings.json aside before replacing it', () => {
    const { dir, path } = fresh();
    writeFileSync(path, '{"version": 3, "cpus":');
    saveSettings(path, mine);
    const bad = files(dir).find((f) => f.startsWith('settings.json.bad-'));
    expect(bad && readFileSync(join(dir, bad), 'utf8')).toBe('{"version": 3, "cpus":');
    expect(readFileSync(path, 'utf8')).toBe(serializeSettings(mine));
  });

  it('says what to do when the folder is gone', () => {
    const { dir, path } = fresh();
    rmSync(dir, { recursive: true });
    expect(() => saveSettings(path, mine)).toThrow(/Berth could not save .*settings\.json \(.*ENOENT.*\); check that the folder is writable/);
  });
});

describe('badFileName', () => {
  it('never reuses a name', () => {
    const { path } = fresh();
    const at = new Date('2025-01-02T03:04:05.678Z');
    const first = badFileName(path, at);
    expect(first).toBe(`${path}.bad-2025-01-02T03-04-05.678Z`);
    writeFileSync(first, 'x');
    expect(badFileName(path, at)).toBe(`${path}.bad-2025-01-02T03-04-05.678Z-2`);
  });
});

describe('writeFileAtomic', () => {
  it('leaves no temp file behind when the rename fails', () => {
    const { dir, path } = fresh();
    mkdirSync(path);
    writeFileSync(join(path, 'inside'), 'x'); // a non-empty directory cannot be renamed over
    expect(() => writeFileAtomic(path, 'data')).toThrow();
    expect(files(dir)).toStrictEqual(['settings.json']);
  });
});
