// Reads the host facts the acceleration choice needs, and remembers (per host boot) that KVM hung,
// so that only the first start after a reboot pays the watchdog's wait.
import { accessSync, constants, existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { HostFacts } from './accelChoice.ts';

function bootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

export function kvmUsable(): boolean {
  try {
    accessSync('/dev/kvm', constants.R_OK | constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

export function readHostFacts(probeFile: string): HostFacts {
  let kvmKnownHanging = false;
  if (existsSync(probeFile)) {
    try {
      const probe = JSON.parse(readFileSync(probeFile, 'utf8')) as { bootId?: string; kvmHangs?: boolean };
      kvmKnownHanging = probe.bootId === bootId() && probe.kvmHangs === true;
    } catch {
      kvmKnownHanging = false;
    }
  }
  return { platform: process.platform, kvmUsable: process.platform === 'linux' && kvmUsable(), kvmKnownHanging };
}

export function rememberKvmHangs(probeFile: string): void {
  writeFileSync(probeFile, `${JSON.stringify({ bootId: bootId(), kvmHangs: true })}\n`, { mode: 0o600 });
}
