// One berthd per $BERTH_HOME: a lock file holding the owner's pid, taken with O_EXCL. A lock whose
// pid is dead (a killed berthd) is stale and taken over; a live one means another berthd runs.
import { closeSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { processAlive } from './host/processLiveness.ts';

export class DaemonRunningError extends Error {
  constructor(readonly pid: number) {
    super(`another berthd (pid ${pid}) already manages this BERTH_HOME`);
    this.name = 'DaemonRunningError';
  }
}

/** Take the lock or throw DaemonRunningError; returns a release function. */
export function acquireDaemonLock(path: string, log: (m: string) => void = () => {}): () => void {
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, 'wx', 0o600);
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return () => {
        try {
          if (Number(readFileSync(path, 'utf8').trim()) === process.pid) rmSync(path);
        } catch {
          /* already gone */
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const pid = Number(readFileSync(path, 'utf8').trim());
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) throw new DaemonRunningError(pid);
      log(`removing a stale lock left by berthd pid ${pid} (no longer running)`);
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}`);
}
