// Owns: tests of accelChoice.ts: planAccel for each setting × platform (KVM usable or not, known to
// hang), the wording of `why`, and the fallback reasons fallbackWhy and failedAccelWhy.

import { describe, expect, it } from 'vitest';
import { failedAccelWhy, fallbackWhy, planAccel, type AccelSetting, type HostFacts } from './accelChoice.ts';

const host = (platform: NodeJS.Platform, kvmUsable = false, kvmKnownHanging = false): HostFacts => ({ platform, kvmUsable, kvmKnownHanging });

const hosts: Record<string, HostFacts> = {
  'linux with kvm': host('linux', true),
  'linux without kvm': host('linux', false),
  'linux with kvm known hanging': host('linux', true, true),
  'linux without kvm, hang remembered': host('linux', false, true),
  darwin: host('darwin'),
  win32: host('win32'),
  freebsd: host('freebsd'),
};

describe('planAccel', () => {
  const explicit: AccelSetting[] = ['kvm', 'hvf', 'whpx', 'tcg'];
  const explicitCases = explicit.flatMap((setting) => Object.entries(hosts).map(([name, h]) => [setting, name, h] as const));
  it.each(explicitCases)('an explicit %s setting is obeyed on %s, without fallback', (setting, _name, h) => {
    expect(planAccel(setting, h)).toStrictEqual({ first: setting, why: `set to ${setting} in settings` });
  });

  it('auto on linux with a usable /dev/kvm: KVM, falling back to TCG', () => {
    expect(planAccel('auto', hosts['linux with kvm']!)).toStrictEqual({ first: 'kvm', fallback: 'tcg', why: 'auto: KVM' });
  });

  it('auto on linux without a usable /dev/kvm: TCG, saying why', () => {
    const plan = planAccel('auto', hosts['linux without kvm']!);
    expect(plan).toStrictEqual({ first: 'tcg', why: 'auto: /dev/kvm is missing or not accessible to this user, so QEMU emulates (TCG)' });
    // A missing /dev/kvm wins over a remembered hang: the reason names the real cause.
    expect(planAccel('auto', hosts['linux without kvm, hang remembered']!)).toStrictEqual(plan);
  });

  it('auto on linux where KVM hung earlier this boot: TCG at once, no watchdog fallback', () => {
    const plan = planAccel('auto', hosts['linux with kvm known hanging']!);
    expect(plan.first).toBe('tcg');
    expect(plan.fallback).toBeUndefined();
    expect(plan.why).toBe('auto: KVM failed or hung before the guest printed anything on an earlier boot since this host started, so QEMU emulates (TCG)');
  });

  it('auto on macOS: HVF, falling back to TCG', () => {
    expect(planAccel('auto', hosts.darwin!)).toStrictEqual({ first: 'hvf', fallback: 'tcg', why: 'auto: Hypervisor.framework on macOS' });
    // The KVM facts do not matter off Linux.
    expect(planAccel('auto', host('darwin', true, true))).toStrictEqual(planAccel('auto', hosts.darwin!));
  });

  it('auto on Windows: WHPX, falling back to TCG', () => {
    expect(planAccel('auto', hosts.win32!)).toStrictEqual({ first: 'whpx', fallback: 'tcg', why: 'auto: Windows Hypervisor Platform' });
  });

  it('auto on another OS: TCG, naming the platform', () => {
    expect(planAccel('auto', hosts.freebsd!)).toStrictEqual({ first: 'tcg', why: 'auto: no accelerator known on freebsd' });
    expect(planAccel('auto', host('openbsd', true)).why).toBe('auto: no accelerator known on openbsd');
  });

  it('every plan starts its reason with "auto:" or "set to", and never falls back to itself', () => {
    for (const setting of ['auto', ...explicit] as AccelSetting[]) {
      for (const h of Object.values(hosts)) {
        const p = planAccel(setting, h);
        expect(p.why).toMatch(setting === 'auto' ? /^auto: / : /^set to /);
        expect(p.fallback).not.toBe(p.first);
      }
    }
  });
});

describe('fallbackWhy', () => {
  it('names the accelerator in capitals and the watchdog seconds', () => {
    expect(fallbackWhy('kvm', 20)).toBe(
      'auto: KVM is present but the guest printed nothing within 20 s (nested virtualisation hangs on some hosts), so Berth fell back to TCG emulation',
    );
    expect(fallbackWhy('hvf', 7.5)).toContain('HVF is present but the guest printed nothing within 7.5 s');
  });
});

describe('failedAccelWhy', () => {
  it('quotes the first line of QEMU stderr without the qemu-system-x86_64: prefix', () => {
    const stderr = 'qemu-system-x86_64: error: failed to set MSR 0x48d to 0x5600000016\nqemu-system-x86_64: ../target/i386/kvm/kvm.c:3000: kvm_buf_set_msrs: Assertion failed.\n';
    expect(failedAccelWhy('kvm', stderr)).toBe(
      'auto: KVM is present but QEMU failed with it (error: failed to set MSR 0x48d to 0x5600000016), so Berth fell back to TCG emulation',
    );
  });

  it('strips the prefix of other QEMU binaries too', () => {
    expect(failedAccelWhy('hvf', 'qemu-system-aarch64: HV_ERROR\n')).toContain('(HV_ERROR)');
  });

  it('skips empty and blank leading lines', () => {
    expect(failedAccelWhy('kvm', '\n   \nqemu-system-x86_64: Could not access KVM kernel module: Permission denied\nmore')).toContain(
      '(Could not access KVM kernel module: Permission denied)',
    );
  });

  it('keeps at most 160 characters of the line (after the prefix)', () => {
    const long = 'x'.repeat(500);
    const why = failedAccelWhy('whpx', `qemu-system-x86_64: ${long}\n`);
    expect(why).toBe(`auto: WHPX is present but QEMU failed with it (${'x'.repeat(160)}), so Berth fell back to TCG emulation`);
  });

  it('says "no message" when stderr is empty or blank', () => {
    expect(failedAccelWhy('kvm', '')).toContain('(no message)');
    expect(failedAccelWhy('kvm', '\n \n\t\n')).toContain('(no message)');
  });

  it('only strips a prefix at the start of the line', () => {
    expect(failedAccelWhy('kvm', 'warning: see qemu-system-x86_64: something')).toContain('(warning: see qemu-system-x86_64: something)');
  });
});
