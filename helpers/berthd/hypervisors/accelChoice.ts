// Which acceleration QEMU gets: a pure decision from the setting and the host's facts, plus the
// reason `status` shows. `auto` prefers KVM/HVF/WHPX and falls back to TCG when they are missing.
import type { Accel } from './vmConfig.ts';

export type AccelSetting = 'auto' | Accel;

export type HostFacts = {
  platform: NodeJS.Platform;
  /** /dev/kvm exists and this user can open it read-write. */
  kvmUsable: boolean;
  /** A previous boot on this host found KVM hanging (no console output in time). */
  kvmKnownHanging: boolean;
};

export type AccelPlan = { first: Accel; fallback?: Accel; why: string };

export function planAccel(setting: AccelSetting, host: HostFacts): AccelPlan {
  if (setting !== 'auto') return { first: setting, why: `set to ${setting} in settings` };
  if (host.platform === 'darwin') return { first: 'hvf', fallback: 'tcg', why: 'auto: Hypervisor.framework on macOS' };
  if (host.platform === 'win32') return { first: 'whpx', fallback: 'tcg', why: 'auto: Windows Hypervisor Platform' };
  if (host.platform === 'linux') {
    if (!host.kvmUsable) return { first: 'tcg', why: 'auto: /dev/kvm is missing or not accessible to this user, so QEMU emulates (TCG)' };
    if (host.kvmKnownHanging) return { first: 'tcg', why: 'auto: KVM failed or hung before the guest printed anything on an earlier boot since this host started, so QEMU emulates (TCG)' };
    return { first: 'kvm', fallback: 'tcg', why: 'auto: KVM' };
  }
  return { first: 'tcg', why: `auto: no accelerator known on ${host.platform}` };
}

/** The reason shown after a watchdog fallback. */
export function fallbackWhy(from: Accel, seconds: number): string {
  return `auto: ${from.toUpperCase()} is present but the guest printed nothing within ${seconds} s (nested virtualisation hangs on some hosts), so Berth fell back to TCG emulation`;
}

/** The reason shown when QEMU exited at once with the accelerator (e.g. KVM refusing an MSR). */
export function failedAccelWhy(from: Accel, qemuStderr: string): string {
  const first = qemuStderr.split('\n').find((l) => l.trim()) ?? 'no message';
  return `auto: ${from.toUpperCase()} is present but QEMU failed with it (${first.replace(/^qemu-system-\w+: /, '').slice(0, 160)}), so Berth fell back to TCG emulation`;
}
