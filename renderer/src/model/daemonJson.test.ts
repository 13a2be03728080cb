import { describe, expect, it } from 'vitest';
import { checkDaemonJson, formatDaemonJson } from './daemonJson.ts';

describe('daemon.json editor check', () => {
  it('accepts an object, and empty text as {}', () => {
    expect(checkDaemonJson('{"log-level": "warn", "features": {"buildkit": true}}')).toEqual({ ok: true, daemon: { 'log-level': 'warn', features: { buildkit: true } } });
    expect(checkDaemonJson('  \n')).toEqual({ ok: true, daemon: {} });
  });

  it('says where broken JSON breaks', () => {
    const r = checkDaemonJson('{\n  "a": 1,\n  "b": \n}');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toMatch(/^daemon.json is not valid JSON/);
      expect(r.message).toMatch(/line \d+, column \d+|JSON/);
    }
  });

  it('refuses anything but an object', () => {
    for (const t of ['[]', '"x"', '3', 'null']) expect(checkDaemonJson(t)).toMatchObject({ ok: false, message: expect.stringContaining('one JSON object') });
  });

  it('refuses TCP listener keys in any case (T-01)', () => {
    expect(checkDaemonJson('{"hosts": ["tcp://0.0.0.0:2375"]}')).toMatchObject({ ok: false, message: expect.stringContaining('"hosts"') });
    expect(checkDaemonJson('{"Hosts": [], "tlsverify": true}')).toMatchObject({ ok: false, message: expect.stringContaining('"Hosts", "tlsverify"') });
    expect(checkDaemonJson('{"hostsfile": 1}').ok).toBe(true);
  });

  it('formats with two-space indent and a final newline, and reads back the same', () => {
    const text = formatDaemonJson({ 'log-level': 'warn' });
    expect(text).toBe('{\n  "log-level": "warn"\n}\n');
    expect(checkDaemonJson(text)).toEqual({ ok: true, daemon: { 'log-level': 'warn' } });
  });
});
