// Owns: tests of settingsService.ts — changes validated against this host and saved, restart needs,
// a file damaged while berthd runs (kept aside at reload, last good values kept), a newer Berth's file.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { GiB } from '../../api/settings.ts';
import { guestConfigFromSettings } from '../vm/guestConfigFromSettings.ts';
import { SettingsRejected, SettingsService } from './settingsService.ts';
import { SettingsSaveError } from './settingsStore.ts';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
function service(): { svc: SettingsService; path: string; logs: string[] } {
  const dir = mkdtempSync(join(tmpdir(), 'berth-ss-'));
  dirs.push(dir);
  const logs: string[] = [];
  const path = join(dir, 'settings.json');
  return { svc: new SettingsService(path, join(dir, 'data.qcow2'), (m) => logs.push(m)), path, logs };
}

describe('SettingsService', () => {
  it('starts on defaults without a file and writes nothing until a change', () => {
    const { svc, path } = service();
    expect(svc.health().status).toBe('missing');
    expect(existsSync(path)).toBe(false);
    expect(svc.get().cpus).toBe(Math.min(2, cpus().length));
  });

  it('saves a valid change and says which keys need a restart', () => {
    const { svc, path } = service();
    const r = svc.change({ memory: '1GiB', stopVmOnQuit: false });
    expect(r.changed.sort()).toEqual(['memory', 'stopVmOnQuit']);
    expect(r.restartNeeded).toEqual(['memory']);
    expect(JSON.parse(readFileSync(path, 'utf8')).memory).toBe(GiB);
    expect(svc.health().status).toBe('ok');
    expect(svc.pendingFor({ ...svc.get(), memory: 2 * GiB })).toEqual(['memory']);
    expect(svc.pendingFor(undefined)).toEqual([]);
  });

  it('T-19: refuses an absurd change with the host limit and keeps the old settings', () => {
    const { svc, path } = service();
    svc.change({ cpus: 1 });
    const before = readFileSync(path, 'utf8');
    expect(() => svc.change({ cpus: 10_000 })).toThrow(SettingsRejected);
    expect(() => svc.change({ memory: '1PiB' })).toThrow(/memory/);
    try {
      svc.change({ cpus: 0, memory: 0 });
    } catch (e) {
      expect((e as SettingsRejected).problems.map((p) => p.key)).toEqual(['cpus', 'memory']);
    }
    expect(readFileSync(path, 'utf8')).toBe(before);
    expect(svc.get().cpus).toBe(1);
  });

  it('T-16: a file damaged while running is kept aside at the next reload; the last good values stay', () => {
    const { svc, path } = service();
    svc.change({ cpus: 1 });
    writeFileSync(path, '{"version": 3,,');
    const s = svc.reload();
    expect(s.cpus).toBe(1);
    const h = svc.health();
    expect(h.status).toBe('corrupt');
    expect(h.badFile && readFileSync(h.badFile, 'utf8')).toBe('{"version": 3,,');
    expect(h.notes.join(' ')).toMatch(/kept it as settings\.json\.bad-/);
  });

  it('a newer Berth file is read-only: changes are refused and the file is untouched', () => {
    const { svc, path } = service();
    const future = JSON.stringify({ version: 99, cpus: 1, someday: true });
    writeFileSync(path, future);
    svc.reload();
    expect(svc.readOnly).toBe(true);
    expect(() => svc.change({ cpus: 1, memory: '1GiB' })).toThrow(SettingsSaveError);
    expect(readFileSync(path, 'utf8')).toBe(future);
  });
});

describe('guestConfigFromSettings', () => {
  it('passes daemon.json and both spellings of the proxy variables', () => {
    const { svc } = service();
    const s = svc.change({ docker: { daemon: { debug: true }, proxy: { http: 'http://p:3128', noProxy: 'localhost' } } }).settings;
    expect(guestConfigFromSettings(s)).toEqual({
      hostname: 'berth',
      daemonJson: { debug: true },
      environment: { HTTP_PROXY: 'http://p:3128', http_proxy: 'http://p:3128', NO_PROXY: 'localhost', no_proxy: 'localhost' },
    });
  });
});
