// Whether a pid is a live process, on hosts where a dead child can linger as a zombie (an init
// that does not reap): a zombie, or one whose threads are still exiting, holds nothing of ours.
import { readdirSync, readFileSync } from 'node:fs';

/** True while `pid` runs; false when it is gone or a zombie whose files are closed. */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EPERM') return false;
  }
  if (process.platform !== 'linux') return true;
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return false;
  }
  if (!/^\d+ \(.*\) [ZX] /s.test(stat)) return true;
  // A zombie thread-group leader can outlive threads that still hold the process's files: the leader's
  // own fd list is empty once it has exited, so its other threads (still listed in task/) count too.
  try {
    if (readdirSync(`/proc/${pid}/task`).some((tid) => tid !== String(pid))) return true;
  } catch {
    // gone meanwhile
  }
  try {
    return readdirSync(`/proc/${pid}/fd`).length > 0;
  } catch {
    return false;
  }
}

/** Wait until `pid` is no longer alive (see processAlive); false on timeout. */
export async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((r) => setTimeout(r, 50));
  }
  return true;
}
