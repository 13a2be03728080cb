// Owns: the machine-wide VM lock (/tmp/berth-vm.lock) taken by the suite itself, one repetition at a time,
// when BENCH_LOCK=rep — so a long run lets others' VM tests in between. Without it the caller holds the
// lock for the whole run (`flock /tmp/berth-vm.lock npm run bench`); taking it twice would deadlock.
import { spawn } from 'node:child_process';

const LOCK_FILE = '/tmp/berth-vm.lock';
export const lockPerRep = process.env.BENCH_LOCK === 'rep';

/** Run fn holding the lock (through a `flock … cat` child that lives until fn ends), or just run it. */
export async function withVmLock<T>(what: string, fn: () => Promise<T>): Promise<T> {
  if (!lockPerRep) return fn();
  const holder = spawn('flock', [LOCK_FILE, 'sh', '-c', 'echo locked; exec cat'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const t0 = Date.now();
  await new Promise<void>((resolve, reject) => {
    holder.stdout.once('data', () => resolve());
    holder.once('exit', (code) => reject(new Error(`flock ${LOCK_FILE} exited ${code} before taking the lock`)));
  });
  const waited = (Date.now() - t0) / 1000;
  if (waited > 1) console.log(`  (waited ${waited.toFixed(0)} s for ${LOCK_FILE} before ${what})`);
  try {
    return await fn();
  } finally {
    holder.stdin.end();
    if (holder.exitCode === null) await new Promise((r) => holder.once('exit', r));
  }
}
