// Owns: T-16 — loadSettings against every damaged shape we know of plus seeded random and mutated bytes:
// it never throws, never replaces a bad file without keeping it aside, and always returns usable settings.
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defaultSettings, GiB, validateSettings, type Settings, type SettingsHostFacts } from '../../api/settings.ts';
import { seededPrng, type Prng } from '../guest/seededPrng.ts';
import { lastGoodPath, loadSettings, serializeSettings, type SettingsLoad } from './settingsStore.ts';

const SEED = Number(process.env.BERTH_T16_SEED ?? 16);
const RANDOM_CASES = 470;
const host: SettingsHostFacts = { cpus: 4, memoryBytes: 8 * GiB, currentDiskBytes: 64 * GiB, home: '/Users/ada' };
const FIXTURES = new URL('../../../test/fixtures/settings/', import.meta.url);
const fixtures = ['v1.json', 'v2.json', 'v3.json'].map((f) => readFileSync(new URL(f, FIXTURES)));
const v3 = fixtures[2] as Buffer;
const lastGood: Settings = { ...defaultSettings(host), cpus: 3, startAtLogin: true };
const b = (s: string) => Buffer.from(s);
const json = (o: unknown) => b(JSON.stringify(o));
const v3Object = JSON.parse(v3.toString()) as Record<string, unknown>;

/** The damaged shapes a settings file has been seen in, by name. */
const shapes: [string, Buffer][] = [
  ['0 bytes', Buffer.alloc(0)],
  ['NUL-filled', Buffer.alloc(4096)],
  ['NUL tail after a crash', Buffer.concat([v3.subarray(0, 200), Buffer.alloc(300)])],
  ['truncated mid-way', v3.subarray(0, Math.floor(v3.length / 2))],
  ['truncated by one byte', v3.subarray(0, v3.length - 2)],
  ['BOM', Buffer.concat([b('\ufeff'), v3])],
  ['BOM only', b('\ufeff')],
  ['UTF-16 LE with BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(v3.toString(), 'utf16le')])],
  ['trailing comma', b(v3.toString().replace(/\n}\s*$/, ',\n}\n'))],
  ['comments', b(`// my settings\n${v3.toString()}`)],
  ['wrong types', json({ ...v3Object, cpus: '4', memory: true, shares: 'all' })],
  ['negative version', json({ ...v3Object, version: -1 })],
  ['NaN version', b(v3.toString().replace('"version": 3', '"version": NaN'))],
  ['null version', json({ ...v3Object, version: null })],
  ['missing version', json({ ...v3Object, version: undefined })],
  ['future version', json({ ...v3Object, version: 99, cpus: 'many' })],
  ['10 MB', Buffer.alloc(10 * 1024 * 1024, 0x7b)],
  ['just under 1 MiB of blank space', Buffer.alloc(1024 * 1024 - 1, 0x20)],
  ['deep nesting', b(`{"version":3,"docker":{"daemon":{"x":${'['.repeat(200_000)}${']'.repeat(200_000)}}}}`)],
  ['a list', b('[1,2,3]')],
  ['null', b('null')],
  ['a number', b('3')],
  ['a string', b('"settings"')],
  ['invalid UTF-8', Buffer.concat([b('{"version":3,"shares":[{"hostPath":"/x'), Buffer.from([0xc3, 0x28]), b('","writable":true}]}')])],
  ['Latin-1 path', Buffer.from('{"version":3,"shares":[{"hostPath":"/Users/ren\u00e9","writable":true}]}', 'latin1')],
  ['__proto__ key', b('{"version":3,"__proto__":{"cpus":64},"cpus":2}')],
  ['huge numbers', json({ ...v3Object, cpus: 1e308, memory: 1e300, disk: -1e300 })],
  ['forbidden daemon key', json({ ...v3Object, docker: { daemon: { hosts: ['tcp://0.0.0.0:2375'] }, proxy: {} } })],
  ['empty object', b('{}')],
  ['version only', b('{"version":3}')],
];

function mutate(bytes: Buffer, rnd: Prng): Buffer {
  let out = Buffer.from(bytes);
  for (let r = 1 + rnd.int(3); r > 0; r--) {
    const at = out.length === 0 ? 0 : rnd.int(out.length);
    switch (rnd.int(6)) {
      case 0:
        if (out.length > 0) out[at] = (out[at] as number) ^ (1 << rnd.int(8));
        break;
      case 1:
        out = out.subarray(0, at);
        break;
      case 2:
        out = Buffer.concat([out.subarray(0, at), rnd.bytes(1 + rnd.int(8)), out.subarray(at)]);
        break;
      case 3:
        out = Buffer.concat([out.subarray(0, at), out.subarray(at + 1 + rnd.int(20))]);
        break;
      case 4: // a structural character where one does not belong
        out = Buffer.concat([out.subarray(0, at), b(',{}[]":0-'.charAt(rnd.int(9))), out.subarray(at)]);
        break;
      default:
        out = Buffer.concat([out.subarray(0, at), Buffer.alloc(1 + rnd.int(64)), out.subarray(at + rnd.int(64))]);
    }
  }
  return out;
}

function randomCase(rnd: Prng): [string, Buffer] {
  const pick = rnd.int(10);
  if (pick < 2) return ['random bytes', rnd.bytes(rnd.int(2048))];
  if (pick < 3) return ['random printable', Buffer.from(Array.from({ length: rnd.int(400) }, () => 0x20 + rnd.int(95)))];
  return ['mutated fixture', mutate(fixtures[rnd.int(fixtures.length)] as Buffer, rnd)];
}

let root: string;
let n = 0;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-settings-fuzz-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const tally: Record<string, number> = {};

/** Load `bytes` as settings.json, with or without a last good copy beside it, and check the promises of T-16. */
function check(name: string, bytes: Buffer, withLastGood: boolean): void {
  const dir = join(root, `case-${n++}`);
  mkdirSync(dir);
  const path = join(dir, 'settings.json');
  writeFileSync(path, bytes);
  if (withLastGood) writeFileSync(lastGoodPath(path), serializeSettings(lastGood));

  let r: SettingsLoad | undefined;
  expect(() => (r = loadSettings(path, host)), name).not.toThrow();
  if (!r) throw new Error('unreachable');
  tally[r.status] = (tally[r.status] ?? 0) + 1;
  const usable = validateSettings(r.settings, host);
  expect(usable.ok ? [] : usable.problems, `${name}: settings are usable`).toStrictEqual([]);

  // The bytes survive somewhere: untouched, set aside, or as the pre-migration backup.
  const names = readdirSync(dir);
  const keptAs = names.filter((f) => /^settings\.json(\.bad-.*|\.v\d+\.bak)?$/.test(f) && readFileSync(join(dir, f)).equals(bytes));
  expect(keptAs.length, `${name}: the original bytes are kept (files: ${names.join(', ')})`).toBeGreaterThan(0);
  expect(names.filter((f) => f.includes('.tmp-')), name).toStrictEqual([]);

  if (r.status === 'corrupt') {
    expect(r.badFile && readFileSync(r.badFile).equals(bytes), `${name}: the bad file is set aside`).toBe(true);
    expect(r.recoveredFrom).toBe(withLastGood ? 'last-good' : 'defaults');
    expect(r.settings).toStrictEqual(withLastGood ? lastGood : defaultSettings(host));
    expect(r.notes[0]).toContain(r.reason);
  }
  if (r.status === 'future' || (r.status === 'ok' && r.migratedFrom === undefined)) {
    expect(readFileSync(path).equals(bytes), `${name}: a good file is not rewritten`).toBe(true);
  }
  // Whatever happened, the next load finds nothing to complain about.
  const again = loadSettings(path, host);
  expect(again.status, `${name}: second load`).not.toBe('corrupt');
  expect(again.settings).toStrictEqual(r.status === 'future' ? r.settings : again.status === 'missing' ? defaultSettings(host) : r.settings);
}

describe('T-16: loading damaged settings files', () => {
  it.each(shapes)('%s', (name, bytes) => {
    check(name, bytes, false);
    check(`${name} (with last good)`, bytes, true);
  });

  it(`${RANDOM_CASES} seeded random and mutated files (seed ${SEED})`, () => {
    const rnd = seededPrng(SEED);
    for (let i = 0; i < RANDOM_CASES; i++) {
      const [kind, bytes] = randomCase(rnd);
      check(`case ${i} (${kind}, seed ${SEED}): ${bytes.subarray(0, 80).toString('hex')}`, bytes, rnd.next() < 0.5);
    }
    // The fuzz must reach every outcome the loader has, or it is not testing much.
    expect(Object.keys(tally).sort()).toStrictEqual(['corrupt', 'future', 'ok']);
  });

  it('the named shapes are judged as expected', () => {
    const status = (bytes: Buffer) => {
      const dir = join(root, `case-${n++}`);
      mkdirSync(dir);
      writeFileSync(join(dir, 'settings.json'), bytes);
      return loadSettings(join(dir, 'settings.json'), host).status;
    };
    const expected: Record<string, SettingsLoad['status']> = { BOM: 'ok', 'future version': 'future', '__proto__ key': 'ok', 'version only': 'ok' };
    for (const [name, bytes] of shapes) expect(status(bytes), name).toBe(expected[name] ?? 'corrupt');
  });

  it('a "__proto__" key is an unknown key like any other, not a prototype', () => {
    const dir = join(root, `case-${n++}`);
    mkdirSync(dir);
    writeFileSync(join(dir, 'settings.json'), '{"version":3,"__proto__":{"cpus":4},"cpus":1}');
    const r = loadSettings(join(dir, 'settings.json'), host);
    expect(r).toMatchObject({ status: 'ok', unknownKeys: ['__proto__'], settings: { cpus: 1 } });
    expect(Object.getPrototypeOf(r.settings)).toBe(Object.prototype);
  });
});
