// Owns: children that must not outlive this process when it exits normally (QEMU, virtiofsd): one
// exit hook kills every child still registered; a child leaves the registry when it exits.
import type { ChildProcess } from 'node:child_process';

const live = new Set<ChildProcess>();
let hooked = false;

/** SIGKILL `child` if this process exits while it still runs (not on SIGKILL of this process). */
export function killOnExit(child: ChildProcess): void {
  if (!hooked) {
    hooked = true;
    process.on('exit', () => {
      for (const c of live) c.kill('SIGKILL');
    });
  }
  live.add(child);
  child.once('exit', () => live.delete(child));
}
