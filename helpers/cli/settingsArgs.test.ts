// Owns: tests of settingsArgs.ts — key=value words into a safe settings change, one key's value, and
// the printed lines.
import { describe, expect, it } from 'vitest';
import { defaultSettings, GiB } from '../api/settings.ts';
import { buildChange, parseValue, SettingsArgError, settingAt, settingsLines } from './settingsArgs.ts';

const current = defaultSettings({ cpus: 8, memoryBytes: 16 * GiB, home: '/home/ann' });

describe('parseValue', () => {
  it('reads JSON when it parses and the plain text otherwise', () => {
    expect(parseValue('2')).toBe(2);
    expect(parseValue('true')).toBe(true);
    expect(parseValue('{"debug":true}')).toEqual({ debug: true });
    expect(parseValue('3GiB')).toBe('3GiB');
    expect(parseValue('0.0.0.0')).toBe('0.0.0.0');
    expect(parseValue('')).toBe('');
  });
});

describe('buildChange', () => {
  it('sends whole top-level values, so a dotted key keeps its siblings', () => {
    const withProxy = { ...current, docker: { daemon: { debug: true }, proxy: { https: 'http://p:3128' } } };
    expect(buildChange(withProxy, ['docker.proxy.http=http://q:8080'])).toEqual({ docker: { daemon: { debug: true }, proxy: { https: 'http://p:3128', http: 'http://q:8080' } } });
    expect(buildChange(current, ['cpus=2', 'memory=3GiB'])).toEqual({ cpus: 2, memory: '3GiB' });
    expect(buildChange(current, ['ports.bindAddress=0.0.0.0'])).toEqual({ ports: { bindAddress: '0.0.0.0' } });
  });

  it('does not change the settings it was given', () => {
    const copy = structuredClone(current);
    buildChange(current, ['docker.daemon={"a":1}', 'cpus=1']);
    expect(current).toEqual(copy);
  });

  it('refuses words that are not key=value, the version, and prototype keys', () => {
    for (const bad of [[], ['cpus'], ['=2'], ['version=9'], ['__proto__.x=1'], ['cpus.x=1'], ['a..b=1']]) {
      expect(() => buildChange(current, bad)).toThrow(SettingsArgError);
    }
  });
});

describe('settingAt and settingsLines', () => {
  it('reads dotted keys and says undefined for unknown ones', () => {
    expect(settingAt(current, 'ports.bindAddress')).toBe('127.0.0.1');
    expect(settingAt(current, 'nope')).toBeUndefined();
    expect(settingAt(current, 'cpus.x')).toBeUndefined();
  });
  it('prints sizes in human units', () => {
    const lines = settingsLines(current).join('\n');
    expect(lines).toMatch(/memory +2 GiB/);
    expect(lines).toMatch(/shares +\/home\/ann/);
  });
});
