// The per-user key that names berthd's control pipe on Windows (hostEndpoints.ts): read from
// $BERTH_HOME/run/pipe.key, or made once (written whole, then linked into place: a racing berthd and
// client agree on one key and never read a half-written file).
import { randomBytes } from 'node:crypto';
import { linkSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { newPipeKey, PIPE_KEY_RE } from './hostEndpoints.ts';

export function pipeKeyPath(runDir: string): string {
  return join(runDir, 'pipe.key');
}

export function readOrCreatePipeKey(runDir: string, make: () => string = newPipeKey): string {
  const file = pipeKeyPath(runDir);
  const read = (): string | undefined => {
    try {
      return readFileSync(file, 'utf8').trim();
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new Error(`cannot read ${file} (${(e as Error).message}); check that this user owns BERTH_HOME`, { cause: e });
    }
  };
  let key = read();
  if (key === undefined) {
    mkdirSync(runDir, { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, `${make()}\n`, { flag: 'wx', mode: 0o600 });
      linkSync(tmp, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new Error(`cannot create ${file} (${(e as Error).message}); check that this user owns BERTH_HOME`, { cause: e });
    } finally {
      rmSync(tmp, { force: true });
    }
    key = read();
  }
  if (key === undefined || !PIPE_KEY_RE.test(key)) throw new Error(`${file} does not hold a pipe key (32 hex digits); delete it and start again`);
  return key;
}

/**
 * A new key, replacing the old one (written whole, then renamed over it): berthd does this when another
 * program holds the control pipe it should create, so the next start uses a name nobody has seen.
 */
export function replacePipeKey(runDir: string, make: () => string = newPipeKey): string {
  const file = pipeKeyPath(runDir);
  const tmp = `${file}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  const key = make();
  if (!PIPE_KEY_RE.test(key)) throw new Error(`a pipe key must be 32 hex digits, not ${JSON.stringify(key)}`);
  mkdirSync(runDir, { recursive: true, mode: 0o700 });
  writeFileSync(tmp, `${key}\n`, { flag: 'wx', mode: 0o600 });
  renameSync(tmp, file);
  return key;
}
