// Reads the guest kernel's own reports of being stuck from the VM console (soft lockups, RCU stalls,
// hung tasks) and says what they mean for the user: pure, so every message is tested line by line.
import type { AccelInfo } from '../../api/vmState.ts';

export type KernelFault =
  | { kind: 'soft-lockup'; cpu: number; seconds: number; task: string }
  | { kind: 'rcu-stall'; cpus: string }
  | { kind: 'hung-task'; task: string; seconds: number };

// "[   56.516494] watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [exe:534]"
const SOFT_LOCKUP = /watchdog: BUG: soft lockup - CPU#(\d+) stuck for (\d+)s! \[([^\]:]*)(?::\d+)?\]/;
// "[   24.713693] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:" then "rcu: \t1-...0: (1 ticks …"
const RCU_STALL = /rcu: INFO: (?:rcu_\w+ )?detected (?:expedited )?stalls on CPUs\/tasks:?\s*(\{[^}]*\})?/;
// "[  242.817530] INFO: task dockerd:412 blocked for more than 120 seconds."
const HUNG_TASK = /INFO: task ([^:]+):\d+ blocked for more than (\d+) seconds/;

/** The fault a console line reports, if it is one of the kernel's "I am stuck" lines. */
export function classifyKernelLine(line: string): KernelFault | undefined {
  let m = SOFT_LOCKUP.exec(line);
  if (m) return { kind: 'soft-lockup', cpu: Number(m[1]), seconds: Number(m[2]), task: m[3]! };
  m = HUNG_TASK.exec(line);
  if (m) return { kind: 'hung-task', task: m[1]!, seconds: Number(m[2]) };
  m = RCU_STALL.exec(line);
  if (m) return { kind: 'rcu-stall', cpus: m[1] ?? '' };
  return undefined;
}

/** What a user reads in `berth status`, the tray and the dashboard, with what to do next. */
export function kernelFaultMessage(f: KernelFault, accel: AccelInfo['accel'] | undefined, consoleLog: string): string {
  const what =
    f.kind === 'soft-lockup'
      ? `the VM's kernel reports CPU ${f.cpu} stuck for ${f.seconds} s (in ${f.task || 'the kernel'}): a soft lockup, so Docker and containers stop answering`
      : f.kind === 'rcu-stall'
        ? `the VM's kernel reports CPUs not responding (an RCU stall${f.cpus ? ` on ${f.cpus}` : ''}), so Docker and containers stop answering`
        : `the VM's kernel reports ${f.task} blocked for more than ${f.seconds} s (a hung task): what waits on it is stuck`;
  const why = accel === 'tcg' ? '; under emulation (TCG), docs/guest-config.md tells the lockup QEMU\'s multi-threaded TCG causes and how Berth avoids it' : '';
  return `${what}${why}. Restart the VM (\`berth restart\` or Restart in the tray); your images and volumes survive. The kernel's trace is in ${consoleLog}`;
}
