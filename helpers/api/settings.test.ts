// Owns: tests of settings.ts: defaults per host, size parsing and the absurd sizes of T-19, host-aware
// validation and its messages (setting, value, limit), change merging, and restartNeeded.
import { describe, expect, it } from 'vitest';
import {
  applySettingsChange,
  changedKeys,
  defaultSettings,
  formatSize,
  GiB,
  MiB,
  parseSize,
  restartNeeded,
  TiB,
  validateSettings,
  type Settings,
  type SettingsHostFacts,
} from './settings.ts';

const host: SettingsHostFacts = { cpus: 8, memoryBytes: 24 * GiB, home: '/Users/ada' };
const base = defaultSettings(host);
const problemsOf = (input: unknown, h = host) => {
  const r = validateSettings(input, h);
  return r.ok ? [] : r.problems.map((p) => p.message);
};
const withKey = (patch: Record<string, unknown>) => ({ ...base, ...patch });

describe('defaultSettings', () => {
  it('gives 2 CPUs, 2 GiB, 64 GiB, auto, the home folder shared writable, loopback ports, and validates', () => {
    expect(base).toStrictEqual({
      version: 4,
      cpus: 2,
      memory: 2 * GiB,
      disk: 64 * GiB,
      accel: 'auto',
      driver: 'qemu',
      shares: [{ hostPath: '/Users/ada', writable: true }],
      ports: { bindAddress: '127.0.0.1' },
      docker: { daemon: {}, proxy: {} },
      startAtLogin: false,
      stopVmOnQuit: true,
    });
    expect(validateSettings(base, host)).toStrictEqual({ ok: true, settings: base });
  });

  it('fits a small host: 1 CPU, less than 2 GiB of memory, and never a disk smaller than the current one', () => {
    const small: SettingsHostFacts = { cpus: 1, memoryBytes: 3.5 * GiB, currentDiskBytes: 100 * GiB, home: '/home/bo' };
    const d = defaultSettings(small);
    expect([d.cpus, d.memory, d.disk]).toStrictEqual([1, 1.5 * GiB, 100 * GiB]);
    expect(validateSettings(d, small).ok).toBe(true);
    const tiny: SettingsHostFacts = { cpus: 1, memoryBytes: 2 * GiB, home: '/home/bo' };
    expect(defaultSettings(tiny).memory).toBe(GiB);
    expect(validateSettings(defaultSettings(tiny), tiny).ok).toBe(true);
  });
});

describe('parseSize', () => {
  it.each([
    ['3GiB', 3 * GiB],
    ['512MiB', 512 * MiB],
    ['2G', 2 * GiB],
    ['2GB', 2 * GiB],
    ['2 gib', 2 * GiB],
    [' 1.5GiB ', 1.5 * GiB],
    ['1073741824', GiB],
    ['64K', 64 * 1024],
    ['1TiB', TiB],
    ['0', 0],
    [1073741824, GiB],
  ] as const)('%j is %d bytes', (input, bytes) => {
    expect(parseSize(input)).toStrictEqual({ ok: true, bytes });
  });

  it.each([
    ['T-19: -1', -1, 'is negative'],
    ['T-19: "-1GiB"', '-1GiB', 'is negative'],
    ['T-19: NaN', NaN, 'is not a number'],
    ['T-19: Infinity', Infinity, 'is not a number'],
    ['T-19: a fraction of a byte', 1.5, 'is not a whole number of bytes'],
    ['T-19: "1.4GiB" is not whole bytes', '1.4GiB', 'is not a whole number of bytes'],
    ['T-19: "0.5B"', '0.5B', 'is not a whole number of bytes'],
    ['T-19: beyond 1 PiB', 2 ** 60, 'is absurdly large'],
    ['T-19: "5000TiB"', '5000TiB', 'is absurdly large'],
    ['words', 'lots', 'is not a size'],
    ['empty', '', 'is not a size'],
    ['exponent form', '1e15', 'is not a size'],
    ['two numbers', '1 2GiB', 'is not a size'],
    ['unknown unit', '4 parsecs', 'unit Berth does not know ("parsecs")'],
  ] as const)('%s is refused, saying why', (_name, input, why) => {
    const r = parseSize(input, 'memory');
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.message).toContain(why);
      expect(r.message.startsWith('memory ')).toBe(true);
    }
  });
});

describe('formatSize', () => {
  it('prints binary units, marks rounding, and counts small sizes in bytes', () => {
    expect(formatSize(22 * GiB)).toBe('22 GiB');
    expect(formatSize(1.5 * GiB)).toBe('1.5 GiB');
    expect(formatSize(21.4321 * GiB)).toBe('about 21.43 GiB');
    expect(formatSize(16 * TiB)).toBe('16 TiB');
    expect([formatSize(4), formatSize(1), formatSize(0)]).toStrictEqual(['4 bytes', '1 byte', '0 bytes']);
  });
});

describe('validateSettings: host limits', () => {
  it('states memory past the host as the value, the limit and how it is reached', () => {
    expect(problemsOf(withKey({ memory: 30 * GiB }))).toStrictEqual([
      'memory 30 GiB is more than this host can give: at most 22 GiB (host RAM 24 GiB less 2 GiB for the host)',
    ]);
  });

  it.each([
    ['T-19: 0', 0, 'memory 0 bytes is less than the VM needs: at least 1 GiB'],
    ['T-19: "4" is 4 bytes', '4', 'memory 4 bytes is less than the VM needs: at least 1 GiB'],
    ['T-19: -1', -1, 'memory -1 is negative: memory is at least 1 GiB'],
    ['T-19: 1e15', 1e15, 'memory about 909.49 TiB is more than this host can give: at most 22 GiB'],
    ['T-19: NaN', NaN, 'memory NaN is not a size, like 4GiB'],
    ['T-19: "-512MiB"', '-512MiB', 'memory "-512MiB" is negative: memory is at least 1 GiB'],
    ['T-19: not whole MiB', GiB + 1, 'memory 1073741825 bytes is not a whole number of MiB'],
  ] as const)('memory %s is refused', (_name, memory, message) => {
    const msgs = problemsOf(withKey({ memory }));
    expect(msgs).toHaveLength(1);
    expect(msgs[0]).toContain(message);
  });

  it('accepts human sizes and stores bytes', () => {
    const r = validateSettings(withKey({ memory: '4GiB', disk: '100G' }), host);
    expect(r.ok && [r.settings.memory, r.settings.disk]).toStrictEqual([4 * GiB, 100 * GiB]);
    expect(validateSettings(withKey({ memory: '22GiB' }), host).ok).toBe(true);
  });

  it.each([
    [0, 'cpus 0 is too few: the VM needs at least 1 CPU'],
    [9, 'cpus 9 is more than this host has: at most 8 (the host has 8 CPUs)'],
    [2.5, 'cpus 2.5 is not a whole number of CPUs, like 2'],
    ['4', 'cpus "4" is not a whole number of CPUs, like 2'],
  ] as const)('cpus %j is refused', (cpus, message) => {
    expect(problemsOf(withKey({ cpus }))).toStrictEqual([message]);
  });

  it('lets a disk grow but never shrink below the VM disk, naming its size', () => {
    const h = { ...host, currentDiskBytes: 96 * GiB };
    expect(problemsOf(withKey({ disk: 64 * GiB }), h)).toStrictEqual([
      "disk 64 GiB is smaller than the VM's disk, which is already 96 GiB: a disk can only grow; choose 96 GiB or more (to start over with a smaller disk, reset the VM's disk)",
    ]);
    expect(problemsOf(withKey({ disk: 96 * GiB }), h)).toStrictEqual([]);
    expect(problemsOf(withKey({ disk: '200GiB' }), h)).toStrictEqual([]);
  });

  it.each([
    ['T-19: 0', 0, 'disk 0 bytes is too small'],
    ['T-19: 4 GiB', 4 * GiB, 'at least 8 GiB'],
    ['T-19: 1e15', 1e15, 'is more than Berth supports: at most 16 TiB'],
    ['T-19: -1', -1, 'is negative: disk is at least 8 GiB'],
  ] as const)('disk %s is refused', (_name, disk, message) => {
    expect(problemsOf(withKey({ disk })).join()).toContain(message);
  });
});

describe('validateSettings: the other settings', () => {
  it('names wrong types, missing keys and unknown keys', () => {
    const { stopVmOnQuit: _gone, ...missing } = base;
    expect(problemsOf(missing)).toStrictEqual(['stopVmOnQuit is missing: set it to true or false']);
    expect(problemsOf(withKey({ accel: 'xen' }))).toStrictEqual(['accel "xen" is not one of auto, kvm, hvf, whpx, tcg']);
    expect(problemsOf(withKey({ startAtLogin: 'yes' }))).toStrictEqual(['startAtLogin "yes" is not true or false']);
    expect(problemsOf(withKey({ cpu: 4 }))).toStrictEqual(['cpu is not a setting Berth knows: check the spelling, or remove it']);
    expect(problemsOf(withKey({ ports: { bindAddress: '127.0.0.1', colour: 'red' } }))).toStrictEqual(['ports.colour is not a setting Berth knows: check the spelling, or remove it']);
    expect(problemsOf(withKey({ version: 3 }))).toStrictEqual(['version 3 is not 4']);
    expect(problemsOf([])).toStrictEqual(['settings must be a JSON object, not []']);
  });

  it('driver: qemu anywhere; hyperkit only on an Intel Mac; hyperv only on Windows; unknown names refused', () => {
    const on = (platform: string, arch: string) => ({ ...host, platform, arch });
    expect(problemsOf(withKey({ driver: 'xhyve' }))).toStrictEqual(['driver "xhyve" is not one of qemu, hyperkit, hyperv']);
    for (const [platform, arch] of [['linux', 'x64'], ['darwin', 'arm64'], ['darwin', 'x64'], ['win32', 'x64']] as const) {
      expect(problemsOf(withKey({ driver: 'qemu' }), on(platform, arch))).toStrictEqual([]);
    }
    expect(problemsOf(withKey({ driver: 'hyperkit' }), on('darwin', 'x64'))).toStrictEqual([]);
    expect(problemsOf(withKey({ driver: 'hyperkit' }), on('darwin', 'arm64'))).toStrictEqual([
      'driver "hyperkit" cannot run on Apple Silicon (HyperKit is Intel-only): use driver "qemu", which runs on Hypervisor.framework (HVF) there',
    ]);
    expect(problemsOf(withKey({ driver: 'hyperkit' }), on('linux', 'x64'))).toStrictEqual(['driver "hyperkit" runs only on Intel Macs: use driver "qemu"']);
    expect(problemsOf(withKey({ driver: 'hyperv' }), on('win32', 'x64'))).toStrictEqual([]);
    expect(problemsOf(withKey({ driver: 'hyperv' }), on('darwin', 'x64'))).toStrictEqual(['driver "hyperv" runs only on Windows (Pro, Enterprise or Education with Hyper-V on): use driver "qemu"']);
    // Without the platform (a file read on another machine), only the name is checked.
    expect(problemsOf(withKey({ driver: 'hyperv' }))).toStrictEqual([]);
  });

  it.each(['127.0.0.1', '0.0.0.0', '::1', '::'])('accepts ports.bindAddress %s', (bindAddress) => {
    expect(problemsOf(withKey({ ports: { bindAddress } }))).toStrictEqual([]);
  });

  it('refuses another bind address, listing the choices', () => {
    expect(problemsOf(withKey({ ports: { bindAddress: '192.168.1.5' } }))).toStrictEqual([
      'ports.bindAddress "192.168.1.5" is not one of 127.0.0.1, 0.0.0.0, ::1, :: (127.0.0.1 is this computer only)',
    ]);
  });

  const shares = (...paths: string[]) => withKey({ shares: paths.map((hostPath) => ({ hostPath, writable: true })) });
  it('accepts separate absolute folders, POSIX and Windows, and no shares at all', () => {
    expect(problemsOf(shares('/Users/ada/code', '/Users/ada/codex', '/Volumes/data', 'C:\\Users\\ada', '\\\\nas\\media'))).toStrictEqual([]);
    expect(problemsOf(shares())).toStrictEqual([]);
  });

  it('refuses relative paths, . and .., duplicates and a folder inside another', () => {
    expect(problemsOf(shares('code/x'))).toStrictEqual([
      'shares[0].hostPath "code/x" is not an absolute path: write the full path, like /Users/you/code or C:\\Users\\you\\code',
    ]);
    expect(problemsOf(shares('/Users/ada/../bo'))[0]).toContain('contains . or ..');
    expect(problemsOf(shares('/Users/ada', '/Users/ada/'))).toStrictEqual(['shares lists /Users/ada/ twice (shares[0] and shares[1]): keep one']);
    expect(problemsOf(shares('C:\\Users\\Ada', 'c:/users/ada'))[0]).toContain('twice');
    expect(problemsOf(shares('/Users/ada/code/app', '/Users/ada'))).toStrictEqual([
      'shares /Users/ada/code/app is inside /Users/ada, which is shared too: a folder inside a shared folder is shared already, so remove one of them',
    ]);
    expect(problemsOf(shares('/', '/srv'))[0]).toContain('/srv is inside /');
  });

  it.each(['hosts', 'Hosts', 'tls', 'tlsverify', 'tlscacert', 'tlscert', 'tlskey'])('T-01/T-03: refuses docker.daemon "%s" (Docker is served only through the socket)', (key) => {
    const msgs = problemsOf(withKey({ docker: { daemon: { [key]: ['tcp://0.0.0.0:2375'], debug: true }, proxy: {} } }));
    expect(msgs).toStrictEqual([
      `docker.daemon "${key}" is not allowed: Berth serves Docker only through its socket, never on TCP; remove "${key}" (the docker CLI reaches Berth through the "berth" context)`,
    ]);
  });

  it('passes other daemon.json keys through, and refuses values JSON cannot hold', () => {
    const daemon = { 'registry-mirrors': ['https://m.example'], features: { buildkit: true }, 'log-opts': { 'max-size': '10m' } };
    const r = validateSettings(withKey({ docker: { daemon, proxy: {} } }), host);
    expect(r.ok && r.settings.docker.daemon).toStrictEqual(daemon);
    expect(problemsOf(withKey({ docker: { daemon: [], proxy: {} } }))).toStrictEqual(['docker.daemon [] is not a JSON object (what daemon.json holds)']);
  });

  it('accepts proxy URLs and a no-proxy list, and refuses what would not survive the guest environment file', () => {
    const ok = { http: 'http://user:p%40ss@proxy.example.com:3128', https: 'https://proxy.example.com/', noProxy: 'localhost,.corp.example.com' };
    expect(problemsOf(withKey({ docker: { daemon: {}, proxy: ok } }))).toStrictEqual([]);
    expect(problemsOf(withKey({ docker: { daemon: {}, proxy: { http: 'socks5://127.0.0.1:1080', https: '' } } }))).toStrictEqual([]);
    for (const http of ['proxy:3128', "http://a'b:3128", 'http://a b', 'ftp://x', 'http://']) {
      expect(problemsOf(withKey({ docker: { daemon: {}, proxy: { http } } }))[0]).toContain(`docker.proxy.http ${JSON.stringify(http)} is not a proxy URL`);
    }
    expect(problemsOf(withKey({ docker: { daemon: {}, proxy: { noProxy: 'a, b' } } }))[0]).toContain('docker.proxy.noProxy "a, b" is not a comma-separated list');
    expect(problemsOf(withKey({ docker: { daemon: {}, proxy: { ftp: 'x' } } }))).toStrictEqual(['docker.proxy.ftp is not a setting Berth knows: check the spelling, or remove it']);
  });
});

describe('applySettingsChange', () => {
  it('merges a partial change, one level deep for ports and docker', () => {
    const withProxy = { ...base, docker: { daemon: { debug: true }, proxy: { http: 'http://p:3128' } } };
    const r = applySettingsChange(withProxy, { memory: '4GiB', ports: { bindAddress: '0.0.0.0' }, docker: { daemon: {} } }, host);
    expect(r.ok && r.settings).toStrictEqual({ ...withProxy, memory: 4 * GiB, ports: { bindAddress: '0.0.0.0' }, docker: { daemon: {}, proxy: { http: 'http://p:3128' } } });
  });

  it('refuses a change that is not an object, or that breaks a limit, without touching the current settings', () => {
    expect(applySettingsChange(base, 'cpus=4', host)).toStrictEqual({ ok: false, problems: [{ key: '', message: 'a settings change is a JSON object like {"cpus": 4}, not "cpus=4"' }] });
    const r = applySettingsChange(base, { cpus: 64 }, { ...host });
    expect(r.ok).toBe(false);
    expect(base.cpus).toBe(2);
  });
});

describe('restartNeeded', () => {
  const after = (patch: Partial<Settings>): Settings => ({ ...base, ...patch });
  it.each([
    ['cpus', { cpus: 4 }],
    ['memory', { memory: 4 * GiB }],
    ['disk', { disk: 128 * GiB }],
    ['accel', { accel: 'tcg' as const }],
    ['driver', { driver: 'hyperv' as const }],
    ['shares', { shares: [] }],
    ['docker.daemon', { docker: { daemon: { debug: true }, proxy: {} } }],
    ['docker.proxy', { docker: { daemon: {}, proxy: { http: 'http://p:1' } } }],
  ])('%s needs a VM restart', (key, patch) => {
    expect(restartNeeded(base, after(patch))).toStrictEqual([key]);
  });

  it('live settings need none, and neither does reordering daemon.json keys', () => {
    const live = after({ ports: { bindAddress: '0.0.0.0' }, startAtLogin: true, stopVmOnQuit: false });
    expect(restartNeeded(base, live)).toStrictEqual([]);
    expect(changedKeys(base, live)).toStrictEqual(['ports.bindAddress', 'startAtLogin', 'stopVmOnQuit']);
    const a = after({ docker: { daemon: { a: 1, b: { c: 2, d: 3 } }, proxy: {} } });
    const b = after({ docker: { daemon: { b: { d: 3, c: 2 }, a: 1 }, proxy: {} } });
    expect(restartNeeded(a, b)).toStrictEqual([]);
  });

  it('lists several restart settings in a fixed order', () => {
    expect(restartNeeded(base, after({ shares: [], cpus: 1, startAtLogin: true }))).toStrictEqual(['cpus', 'shares']);
  });
});
