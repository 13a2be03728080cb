// The guest kernel's stuck reports, as printed on real consoles (our CI's TCG lockup among them),
// are recognised and explained; ordinary kernel and berth lines are not mistaken for them.
import { describe, expect, it } from 'vitest';
import { classifyKernelLine, kernelFaultMessage } from './guestKernelFaults.ts';

describe('classifyKernelLine', () => {
  it('reads a soft lockup: CPU, seconds and task (the CI console of a TCG guest stuck at a container start)', () => {
    expect(classifyKernelLine('[   56.516494] watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [exe:534]')).toEqual({ kind: 'soft-lockup', cpu: 0, seconds: 45, task: 'exe' });
    expect(classifyKernelLine('[  125.509373] watchdog: BUG: soft lockup - CPU#1 stuck for 108s! [(udev-worker):120]')).toEqual({ kind: 'soft-lockup', cpu: 1, seconds: 108, task: '(udev-worker)' });
  });

  it('reads an RCU stall, with the CPUs when the line names them', () => {
    expect(classifyKernelLine('[   24.713693] rcu: INFO: rcu_sched detected stalls on CPUs/tasks:')).toEqual({ kind: 'rcu-stall', cpus: '' });
    expect(classifyKernelLine('[   30.1] rcu: INFO: rcu_preempt detected expedited stalls on CPUs/tasks: { 1-... } 21 jiffies s: 93 root: 0x2/.')).toEqual({ kind: 'rcu-stall', cpus: '{ 1-... }' });
  });

  it('reads a hung task', () => {
    expect(classifyKernelLine('[  242.817530] INFO: task dockerd:412 blocked for more than 120 seconds.')).toEqual({ kind: 'hung-task', task: 'dockerd', seconds: 120 });
  });

  it('leaves every other line alone', () => {
    for (const line of [
      'berth: docker ready version=20.10.24+dfsg1 api=1.41 (uptime 8.17s)',
      '[    0.000000] rcu: Preemptible hierarchical RCU implementation.',
      '[    0.319796] rcu: Hierarchical SRCU implementation.',
      '[    2.069873] clocksource: Switched to clocksource tsc',
      'watchdog: soft lockup detector enabled',
      '',
    ]) expect(classifyKernelLine(line), line).toBeUndefined();
  });
});

describe('kernelFaultMessage', () => {
  const lockup = { kind: 'soft-lockup', cpu: 1, seconds: 44, task: 'runc' } as const;

  it('says what happened, what it means and what to do, and where the trace is', () => {
    const m = kernelFaultMessage(lockup, 'kvm', '/home/ann/.berth/logs/console.log');
    expect(m).toMatch(/^the VM's kernel reports CPU 1 stuck for 44 s \(in runc\): a soft lockup, so Docker and containers stop answering\. /);
    expect(m).toContain('Restart the VM (`berth restart` or Restart in the tray)');
    expect(m).toContain('/home/ann/.berth/logs/console.log');
    expect(m).not.toContain('TCG');
  });

  it('under TCG points at the known emulation lockup', () => {
    expect(kernelFaultMessage(lockup, 'tcg', 'c.log')).toContain('under emulation (TCG)');
  });

  it('a hung task and an RCU stall each say what they stop', () => {
    expect(kernelFaultMessage({ kind: 'hung-task', task: 'dockerd', seconds: 120 }, undefined, 'c.log')).toMatch(/^the VM's kernel reports dockerd blocked for more than 120 s \(a hung task\): what waits on it is stuck\. /);
    expect(kernelFaultMessage({ kind: 'rcu-stall', cpus: '{ 1-... }' }, 'hvf', 'c.log')).toMatch(/CPUs not responding \(an RCU stall on \{ 1-\.\.\. \}\), so Docker and containers stop answering\. /);
  });
});
