// Owns: T-17 — a process saving settings in a loop (settingsKillChild.ts) is SIGKILLed at random moments;
// after each kill settings.json is the old or a new valid object, and the next load removes leftover temps.
// Each run kills BERTH_T17_KILLS times (default 40) with seed BERTH_T17_SEED; repeat runs for more.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GiB, settingsSchema, type SettingsHostFacts } from '../../api/settings.ts';
import { seededPrng, type Prng } from '../guest/seededPrng.ts';
import { KILL_TEST_HOME, seqOf, settingsForSeq } from './settingsKillChild.ts';
import { lastGoodPath, loadSettings, saveSettings } from './settingsStore.ts';

const KILLS = Number(process.env.BERTH_T17_KILLS ?? 40);
const SEED = Number(process.env.BERTH_T17_SEED ?? 17);
const LANES = 2; // children killed side by side, each in its own folder
const CHILD = fileURLToPath(new URL('./settingsKillChild.ts', import.meta.url));
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const host: SettingsHostFacts = { cpus: 8, memoryBytes: 64 * GiB, home: KILL_TEST_HOME };
/** Each child's seqs start at its own multiple of this, so a file tells which child wrote it. */
const SPAN = 1_000_000;

let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'berth-settings-kill-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

type Stats = { kills: number; changed: number; tempsLeft: number };

/** The seq in the file at `path`, which must be exactly one settingsForSeq wrote (not torn, not mixed). */
function seqInFile(path: string): number {
  const parsed = settingsSchema.parse(JSON.parse(readFileSync(path, 'utf8')));
  const seq = seqOf(parsed);
  if (seq === undefined) throw new Error(`${path} holds settings no save wrote`);
  expect(parsed).toStrictEqual(settingsForSeq(seq));
  return seq;
}

/** Start a saving child, wait until it runs, let it save for a random while, SIGKILL it, and wait for the exit. */
async function killOne(path: string, firstSeq: number, rnd: Prng): Promise<void> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD, path, String(firstSeq)], { cwd: REPO, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<string | null>((resolve) => child.once('exit', (_code, signal) => resolve(signal)));
  await new Promise<void>((resolve, reject) => {
    child.stdout.once('data', () => resolve());
    child.once('exit', (code) => reject(new Error(`the saving child exited (${code}) before it started: ${stderr}`)));
  });
  // The child warmed up on a scratch file before saying ready, and a save then takes 1–2 ms: 0–40 ms lands
  // in any step of one (rarely before the first).
  await new Promise((r) => setTimeout(r, rnd.int(41)));
  child.kill('SIGKILL');
  expect(await exited, stderr).toBe('SIGKILL');
}

async function lane(index: number, kills: number, rnd: Prng): Promise<Stats> {
  const dir = join(root, `lane-${index}`);
  mkdirSync(dir);
  const path = join(dir, 'settings.json');
  saveSettings(path, settingsForSeq(0));
  const stats: Stats = { kills: 0, changed: 0, tempsLeft: 0 };
  let seen = 0;
  for (let k = 1; k <= kills; k++) {
    const first = (index * kills + k) * SPAN;
    await killOne(path, first, rnd);
    stats.kills++;

    const seq = seqInFile(path);
    // The old settings (the child died before its first rename) or one of this child's.
    expect(seq === seen || (seq >= first && seq < first + SPAN), `kill ${k}: seq ${seq} after ${seen}`).toBe(true);
    if (seq !== seen) stats.changed++;
    seen = seq;
    seqInFile(lastGoodPath(path)); // the last good copy is never torn either

    const temps = readdirSync(dir).filter((f) => f.includes('.tmp-'));
    stats.tempsLeft += temps.length;
    const loaded = loadSettings(path, host);
    expect(loaded).toMatchObject({ status: 'ok', settings: settingsForSeq(seq) });
    expect([...loaded.removedTemps].sort()).toStrictEqual([...temps].sort());
    expect(readdirSync(dir).sort()).toStrictEqual(['settings.json', 'settings.json.last-good']);
  }
  return stats;
}

describe('T-17: SIGKILL during saves', () => {
  it(`leaves the old or a new valid settings.json, ${KILLS} kills (seed ${SEED})`, { timeout: 120_000 }, async () => {
    const rnd = seededPrng(SEED);
    const perLane = Math.ceil(KILLS / LANES);
    const all = await Promise.all(Array.from({ length: LANES }, (_, i) => lane(i, perLane, seededPrng(rnd.int(2 ** 31)))));
    const total = all.reduce((a, s) => ({ kills: a.kills + s.kills, changed: a.changed + s.changed, tempsLeft: a.tempsLeft + s.tempsLeft }), { kills: 0, changed: 0, tempsLeft: 0 });
    console.log(`T-17 seed ${SEED}: ${total.kills} kills, ${total.changed} changed the file, ${total.tempsLeft} temp files left behind and cleaned`);
    expect(total.kills).toBe(perLane * LANES);
    // The kills must land while saving, or this proves nothing: most change the file, and some leave a temp.
    expect(total.changed).toBeGreaterThan(total.kills / 2);
    expect(total.tempsLeft).toBeGreaterThan(0);
  });
});
