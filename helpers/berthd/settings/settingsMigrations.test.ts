// Owns: T-18 — the settings migrations: every historic fixture (test/fixtures/settings/v<n>.json) migrates
// to valid current settings, twice changes nothing, and round-trips through saveSettings/loadSettings.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GiB, SETTINGS_VERSION, validateSettings, type SettingsHostFacts } from '../../api/settings.ts';
import { migrate, migrations } from './settingsMigrations.ts';
import { loadSettings, saveSettings } from './settingsStore.ts';

const FIXTURES = new URL('../../../test/fixtures/settings/', import.meta.url);
const host: SettingsHostFacts = { cpus: 8, memoryBytes: 16 * GiB, home: '/Users/ada' };
const ctx = { home: host.home };
const fixtureNames = readdirSync(FIXTURES).filter((f) => /^v\d+\.json$/.test(f)).sort();
const fixture = (name: string): Record<string, unknown> => JSON.parse(readFileSync(new URL(name, FIXTURES), 'utf8')) as Record<string, unknown>;

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-settings-mig-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('T-18: migrations', () => {
  it('has a fixture for every version up to the current one, and one migration per step', () => {
    expect(fixtureNames).toStrictEqual(Array.from({ length: SETTINGS_VERSION }, (_, i) => `v${i + 1}.json`));
    expect(migrations.map((m) => [m.from, m.to])).toStrictEqual(Array.from({ length: SETTINGS_VERSION - 1 }, (_, i) => [i + 1, i + 2]));
  });

  it.each(fixtureNames)('%s migrates to valid current settings, and migrating again changes nothing', (name) => {
    const raw = fixture(name);
    const copy = structuredClone(raw);
    const once = migrate(raw, ctx);
    expect(once.status).toBe('current');
    if (once.status !== 'current') return;
    expect(raw).toStrictEqual(copy); // pure: the input is not touched
    expect(once.fromVersion).toBe(raw.version);
    expect(once.applied).toHaveLength(SETTINGS_VERSION - (raw.version as number));
    const valid = validateSettings(once.settings, host);
    expect(valid.ok ? [] : valid.problems).toStrictEqual([]);
    const twice = migrate(once.settings, ctx);
    expect(twice).toStrictEqual({ status: 'current', settings: once.settings, fromVersion: SETTINGS_VERSION, applied: [] });
  });

  it('v1: cpuCount, memoryMiB and diskGiB become cpus and bytes; home is shared; bindAddress moves under ports', () => {
    const m = migrate(fixture('v1.json'), ctx);
    expect(m.status === 'current' && m.settings).toStrictEqual({
      version: 4,
      cpus: 4,
      memory: 4 * GiB,
      disk: 96 * GiB,
      accel: 'auto',
      driver: 'qemu',
      shares: [{ hostPath: '/Users/ada', writable: true }],
      ports: { bindAddress: '127.0.0.1' },
      docker: { daemon: { 'registry-mirrors': ['https://mirror.example.com'], features: { buildkit: true } }, proxy: {} },
      startAtLogin: true,
      stopVmOnQuit: true,
    });
  });

  it('v2: keeps its shares and stopVmOnQuit, moves bindAddress, adds an empty proxy', () => {
    const m = migrate(fixture('v2.json'), ctx);
    expect(m.status === 'current' && m.settings).toMatchObject({
      version: 4,
      driver: 'qemu',
      cpus: 6,
      shares: [{ hostPath: '/Users/ada/code', writable: true }, { hostPath: '/Volumes/data', writable: false }],
      ports: { bindAddress: '0.0.0.0' },
      docker: { daemon: { debug: true, 'log-level': 'warn' }, proxy: {} },
      stopVmOnQuit: false,
    });
    expect(m.status === 'current' && 'bindAddress' in m.settings).toBe(false);
  });

  it('v3: every other key kept as it was; driver added as qemu, the hypervisor that owns its qcow2 disk', () => {
    const v3 = fixture('v3.json');
    const m = migrate(v3, ctx);
    expect(m.status === 'current' && m.applied).toStrictEqual(['v3→v4: driver was added: qemu, which ran every earlier Berth and owns its disk']);
    expect(m.status === 'current' && m.settings).toStrictEqual({ ...v3, version: 4, driver: 'qemu' });
  });

  it('v3 with a driver key already there (a hand edit) keeps it for validation to judge', () => {
    const m = migrate({ ...fixture('v3.json'), driver: 'hyperv' }, ctx);
    expect(m.status === 'current' && m.settings.driver).toBe('hyperv');
    const bad = migrate({ ...fixture('v3.json'), driver: 'xhyve' }, ctx);
    const checked = validateSettings(bad.status === 'current' ? bad.settings : {}, host);
    expect(checked.ok ? [] : checked.problems.map((p) => p.key)).toStrictEqual(['driver']);
  });

  it('carries wrong types and unknown keys over for validation and the loader to name', () => {
    const m = migrate({ version: 1, cpuCount: 'four', memoryMiB: null, colour: 'teal' }, ctx);
    expect(m.status === 'current' && m.settings).toMatchObject({ cpus: 'four', memory: null, colour: 'teal' });
  });

  it('does not migrate a newer Berth file', () => {
    const raw = { ...fixture('v4.json'), version: 7, newThing: true };
    expect(migrate(raw, ctx)).toStrictEqual({ status: 'future', futureVersion: 7, settings: raw });
  });

  it.each([
    ['no version', {}, 'has no "version"'],
    ['a negative version', { version: -1 }, '"version": -1'],
    ['version 0', { version: 0 }, '"version": 0'],
    ['a fractional version', { version: 1.5 }, '"version": 1.5'],
    ['a string version', { version: '3' }, '"version": "3"'],
    ['a NaN version (as JSON null)', { version: null }, '"version": null'],
    ['a list', [], 'does not hold a settings object'],
  ])('calls %s invalid', (_name, raw, problem) => {
    const m = migrate(raw, ctx);
    expect(m.status).toBe('invalid');
    expect(m.status === 'invalid' && m.problem).toContain(problem);
  });
});

describe('T-18: fixtures round-trip through the store', () => {
  it.each(fixtureNames)('%s loads (migrated and saved back), saves and loads again unchanged', (name) => {
    const folder = join(dir, `case-${n++}`);
    mkdirSync(folder);
    const path = join(folder, 'settings.json');
    const original = readFileSync(new URL(name, FIXTURES));
    writeFileSync(path, original);
    const version = fixture(name).version as number;

    const first = loadSettings(path, host);
    expect(first.status).toBe('ok');
    expect(first.status === 'ok' && first.migratedFrom).toBe(version < SETTINGS_VERSION ? version : undefined);
    expect(first.unknownKeys).toStrictEqual([]);
    if (version < SETTINGS_VERSION) {
      expect(JSON.parse(readFileSync(path, 'utf8'))).toStrictEqual(first.settings);
      expect(readFileSync(`${path}.v${version}.bak`)).toStrictEqual(original);
    } else {
      expect(readFileSync(path)).toStrictEqual(original);
    }

    const second = loadSettings(path, host);
    expect(second).toMatchObject({ status: 'ok', settings: first.settings });
    expect(second.status === 'ok' && second.migratedFrom).toBeUndefined();

    saveSettings(path, second.settings);
    expect(loadSettings(path, host)).toMatchObject({ status: 'ok', settings: first.settings, notes: [] });
  });
});
