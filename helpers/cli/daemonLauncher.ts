// Makes sure a berthd serves this BERTH_HOME: asks the control socket, and when nothing answers
// starts berthd detached (its output appended to logs/berthd.log) and waits for it to answer.
import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLayout, type BerthPaths } from '../berthd/paths.ts';
import { call, DaemonUnreachable } from './controlClient.ts';

const berthdMain = join(dirname(fileURLToPath(import.meta.url)), '..', 'berthd', 'main.ts');

export async function daemonRunning(paths: BerthPaths): Promise<boolean> {
  try {
    await call(paths.controlSocket, 'status', {}, 5000);
    return true;
  } catch (e) {
    if (e instanceof DaemonUnreachable) return false;
    throw e;
  }
}

export async function ensureDaemon(paths: BerthPaths): Promise<'running' | 'started'> {
  if (await daemonRunning(paths)) return 'running';
  ensureLayout(paths);
  const out = openSync(paths.berthdLog, 'a', 0o600);
  const child = spawn(process.execPath, ['--import', 'tsx', berthdMain], {
    detached: true,
    stdio: ['ignore', out, out],
    env: { ...process.env, BERTH_HOME: paths.home },
    cwd: join(dirname(berthdMain), '..', '..'),
  });
  closeSync(out);
  let exited: number | null | undefined;
  child.on('exit', (code) => (exited = code));
  child.unref();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await daemonRunning(paths)) return 'started';
    if (exited !== undefined) {
      if (exited === 3 && (await daemonRunning(paths))) return 'running';
      const tail = readFileSync(paths.berthdLog, 'utf8').trim().split('\n').slice(-8).join('\n');
      throw new Error(`berthd exited at start (code ${exited}); the end of ${paths.berthdLog}:\n${tail}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`berthd did not answer on ${paths.controlSocket} within 30 s; see ${paths.berthdLog}`);
}
