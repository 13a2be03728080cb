// How a VM's process is reached: our own child (exit status known), or a pid adopted from an earlier
// berthd and watched by polling. Shared by the runners of processes berthd starts (HyperKit).
import { execFileSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { processAlive } from '../host/processLiveness.ts';

export type ProcessHandle = {
  pid: number | undefined;
  kill: (signal?: NodeJS.Signals) => void;
  onExit: (fn: (code: number | null, signal: NodeJS.Signals | null) => void) => void;
};

export function childHandle(child: ChildProcess): ProcessHandle {
  return {
    pid: child.pid,
    kill: (signal = 'SIGKILL') => child.kill(signal),
    onExit: (fn) => child.once('exit', (code, signal) => fn(code, signal)),
  };
}

/** A pid that is not our child: its exit is seen by polling, and its exit status is not ours to read. */
export function adoptedHandle(pid: number, pollMs = 250): ProcessHandle {
  return {
    pid,
    kill: (signal = 'SIGKILL') => {
      try {
        process.kill(pid, signal);
      } catch {
        /* already gone */
      }
    },
    onExit: (fn) => {
      const timer = setInterval(() => {
        if (processAlive(pid)) return;
        clearInterval(timer);
        fn(null, null);
      }, pollMs);
    },
  };
}

/** A process's argv: /proc on Linux, `ps` elsewhere (macOS). Undefined when it is gone. */
export function commandLineOf(pid: number): string[] | undefined {
  if (process.platform === 'linux') {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter((x) => x !== '');
    } catch {
      return undefined;
    }
  }
  try {
    // ps prints the argv joined by spaces: good enough to find a path in it, not to split it.
    const out = execFileSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8', timeout: 5000 }).trim();
    return out === '' ? undefined : [out];
  } catch {
    return undefined;
  }
}
