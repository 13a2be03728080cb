// Owns: the child process of the T-17 kill test: saves settings in a tight loop until it is killed.
// Each save is settingsForSeq(seq) for a rising seq, so the test can tell old from new and spot a torn file.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { GiB, MiB, type Settings } from '../../api/settings.ts';
import { saveSettings } from './settingsStore.ts';

export const KILL_TEST_HOME = '/home/berth-kill-test';

/** Settings of varying size (1–40 shares) that carry their seq in a daemon.json label. */
export function settingsForSeq(seq: number): Settings {
  const shares = Array.from({ length: 1 + (seq % 40) }, (_, i) => ({ hostPath: `${KILL_TEST_HOME}/project-${seq}-${i}`, writable: i % 2 === 0 }));
  return {
    version: 4,
    cpus: 1 + (seq % 4),
    memory: (1 + (seq % 8)) * GiB,
    disk: 64 * GiB + (seq % 1024) * MiB,
    accel: 'auto',
    driver: 'qemu',
    shares,
    ports: { bindAddress: '127.0.0.1' },
    docker: { daemon: { labels: [`berth-test-seq=${seq}`] }, proxy: {} },
    startAtLogin: seq % 2 === 1,
    stopVmOnQuit: true,
  };
}

/** The seq a saved settings object carries, or undefined for one that settingsForSeq did not make. */
export function seqOf(settings: Settings): number | undefined {
  const labels = settings.docker.daemon.labels;
  const label = Array.isArray(labels) ? labels[0] : undefined;
  const m = typeof label === 'string' ? /^berth-test-seq=(\d+)$/.exec(label) : null;
  return m ? Number(m[1]) : undefined;
}

function main(path: string, firstSeq: number): void {
  // One save to a scratch folder first: module loading and the JIT's first pass are over before the
  // test starts its 0–40 ms clock, so on a loaded machine its kills still land among real saves.
  const warm = mkdtempSync(join(tmpdir(), 'berth-t17-warm-'));
  saveSettings(join(warm, 'settings.json'), settingsForSeq(firstSeq));
  rmSync(warm, { recursive: true, force: true });
  process.stdout.write('ready\n');
  for (let seq = firstSeq; ; seq++) saveSettings(path, settingsForSeq(seq));
}

const entry = process.argv[1];
if (entry !== undefined && import.meta.url === pathToFileURL(entry).href) {
  const [path, first] = process.argv.slice(2);
  if (!path || !first) throw new Error('usage: settingsKillChild.ts <settings.json> <first seq>');
  main(path, Number(first));
}
