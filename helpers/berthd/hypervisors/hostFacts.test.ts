// Owns: tests of hostFacts.ts: the readHostFacts / rememberKvmHangs round trip through a probe file in
// a temp dir (a hang counts only for the same host boot; a missing or corrupt probe counts as none).

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { kvmUsable, readHostFacts, rememberKvmHangs } from './hostFacts.ts';

let dir: string;
let n = 0;
const probe = (): string => join(dir, `probe-${n++}.json`);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-hf-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** This boot's id as hostFacts.ts reads it ('unknown' where /proc has none). */
function thisBoot(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

describe('readHostFacts', () => {
  it('reports this platform, and KVM usable only on Linux when /dev/kvm opens read-write', () => {
    const f = readHostFacts(probe());
    expect(f.platform).toBe(process.platform);
    expect(f.kvmUsable).toBe(process.platform === 'linux' && kvmUsable());
  });

  it('without a probe file, KVM is not known to hang', () => {
    expect(readHostFacts(probe()).kvmKnownHanging).toBe(false);
  });

  it('remembers a KVM hang for this boot (round trip), in a 0600 file', () => {
    const p = probe();
    rememberKvmHangs(p);
    expect(readHostFacts(p).kvmKnownHanging).toBe(true);
    expect(JSON.parse(readFileSync(p, 'utf8'))).toEqual({ bootId: thisBoot(), kvmHangs: true });
    expect(statSync(p).mode & 0o777).toBe(0o600);
  });

  it('remembering twice keeps it remembered', () => {
    const p = probe();
    rememberKvmHangs(p);
    rememberKvmHangs(p);
    expect(readHostFacts(p).kvmKnownHanging).toBe(true);
  });

  it('a hang remembered on another boot does not count', () => {
    const p = probe();
    writeFileSync(p, JSON.stringify({ bootId: `${thisBoot()}-before-reboot`, kvmHangs: true }));
    expect(readHostFacts(p).kvmKnownHanging).toBe(false);
  });

  it('a probe for this boot without kvmHangs: true does not count', () => {
    for (const body of [{ bootId: thisBoot(), kvmHangs: false }, { bootId: thisBoot() }, { bootId: thisBoot(), kvmHangs: 'true' }]) {
      const p = probe();
      writeFileSync(p, JSON.stringify(body));
      expect(readHostFacts(p).kvmKnownHanging, JSON.stringify(body)).toBe(false);
    }
  });

  it('a corrupt probe file is treated as no hang', () => {
    for (const body of ['{"bootId": "', 'not json at all', '', 'null', '42', '[]']) {
      const p = probe();
      writeFileSync(p, body);
      expect(() => readHostFacts(p), JSON.stringify(body)).not.toThrow();
      expect(readHostFacts(p).kvmKnownHanging, JSON.stringify(body)).toBe(false);
    }
  });

  it('a probe path that is a directory is treated as no hang', () => {
    expect(readHostFacts(dir).kvmKnownHanging).toBe(false);
  });
});
