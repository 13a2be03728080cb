// Golden tests of HyperKit's argv for a matrix of configs, hostile paths passed verbatim (argv, no
// shell: $() ` ; quotes are inert), and values HyperKit cannot be given refused with the reason (T-44).
import { describe, expect, it } from 'vitest';
import { hyperkitArgs, type HyperkitExtras } from './hyperkitArgs.ts';
import type { VmConfig } from './vmConfig.ts';

const HOME = "/Users/ann/Library/Application Support/Berth $(touch pwned) `id`; 'q' \"dq\" ‘s’ ü";
const base = (home = HOME): { c: VmConfig; x: HyperkitExtras } => ({
  c: {
    name: 'berth', cpus: 4, memoryMiB: 4096, accel: 'hvf',
    kernel: `${home}/image/kernel`, initrd: `${home}/image/initrd.img`, cmdline: 'console=ttyS0 quiet loglevel=3 panic=-1',
    dataDisk: { path: `${home}/data.raw`, format: 'raw' }, configDisk: `${home}/config.img`,
    consoleLog: `${home}/logs/console.log`, pidFile: `${home}/run/hyperkit.pid`,
  },
  x: { vsockDir: '/tmp/berth-501/vsock', ttyPath: '/tmp/berth-501/tty', uuid: '9f2e4c1a-0b7d-4e55-8a3c-2d1f0e9b8a7c' },
});

describe('hyperkitArgs golden', () => {
  const matrix: Record<string, { c: VmConfig; x: HyperkitExtras }> = {
    'minimal': (() => { const b = base('/Users/ann/.berth'); delete b.c.configDisk; delete b.c.dataDisk; return { ...b, c: { ...b.c, cpus: 1, memoryMiB: 512 } }; })(),
    'full-hostile-paths': base(),
    'shares': (() => {
      const b = base();
      return { c: { ...b.c, shares: [{ tag: 'h0', hostPath: '/Users/ann', readOnly: false }, { tag: 'h1', hostPath: '/Volumes/ext $(x)', readOnly: true }] }, x: { ...b.x, ninePSockets: { h0: '/tmp/berth-501/9p-h0.sock', h1: '/tmp/berth-501/9p-h1.sock' } } };
    })(),
    'cmdline-already-has-a-link': (() => { const b = base(); return { ...b, c: { ...b.c, cmdline: 'console=ttyS0 berth.link=virtio-serial berth.debug' } }; })(),
  };
  for (const [name, { c, x }] of Object.entries(matrix)) {
    it(`${name}`, async () => {
      await expect(`${JSON.stringify(hyperkitArgs(c, x), null, 1)}\n`).toMatchFileSnapshot(`__golden__/hyperkit-${name}.json`);
    });
  }

  it('passes hostile paths through as single argv entries, unchanged', () => {
    const { c, x } = base();
    const a = hyperkitArgs(c, x);
    expect(a).toContain(`2:0,virtio-blk,${HOME}/data.raw`);
    expect(a.at(-1)).toBe(`kexec,${HOME}/image/kernel,${HOME}/image/initrd.img,console=ttyS0 quiet loglevel=3 panic=-1 berth.link=vsock:3047 berth.disk=pci:0000:00:02.0 berth.config=pci:0000:00:03.0`);
    expect(a[a.indexOf('-F') + 1]).toBe(`${HOME}/run/hyperkit.pid`);
  });
});

describe('hyperkitArgs refuses what HyperKit cannot be given', () => {
  const cases: [string, (b: { c: VmConfig; x: HyperkitExtras }) => void, RegExp][] = [
    ['a comma in the data disk path', (b) => (b.c.dataDisk = { path: '/Users/a,b/data.raw', format: 'raw' }), /holds a comma/],
    ['a comma in the kernel path (would shift kexec fields)', (b) => (b.c.kernel = '/k,ernel'), /the kernel .* holds a comma/],
    ['a comma in the console log (would add an lpc option)', (b) => (b.c.consoleLog = '/x/console.log,log=/etc/passwd'), /holds a comma/],
    ['a newline in a path', (b) => (b.c.pidFile = '/x/pid\n-s 9,virtio-net'), /control character/],
    ['a control character in the command line', (b) => (b.c.cmdline = 'quiet\x00x'), /control character/],
    ['a vsock directory too long for socket paths', (b) => (b.x.vsockDir = `/tmp/${'v'.repeat(90)}`), /too long/],
    ['a qcow2 disk', (b) => (b.c.dataDisk = { path: '/x/d.qcow2', format: 'qcow2' }), /raw disks only/],
    ['accel other than hvf', (b) => (b.c.accel = 'tcg'), /accel must be hvf/],
    ['no pid file', (b) => delete b.c.pidFile, /pid file/],
    ['a bad uuid', (b) => (b.x.uuid = '$(uuidgen)'), /not a UUID/],
    ['a bad share tag', (b) => { b.c.shares = [{ tag: 'a,b', hostPath: '/x', readOnly: false }]; b.x.ninePSockets = { 'a,b': '/s' }; }, /share tag/],
    ['a share without its 9P server', (b) => (b.c.shares = [{ tag: 'h0', hostPath: '/x', readOnly: false }]), /9P server socket/],
    ['a 9P socket path too long for macOS', (b) => { b.c.shares = [{ tag: 'h0', hostPath: '/x', readOnly: false }]; b.x.ninePSockets = { h0: `/tmp/${'s'.repeat(100)}.sock` }; }, /longer than a unix socket path/],
    ['a comma in a 9P socket path', (b) => { b.c.shares = [{ tag: 'h0', hostPath: '/x', readOnly: false }]; b.x.ninePSockets = { h0: '/tmp/a,tag=evil' }; }, /holds a comma/],
    ['virtiofs', (b) => { b.c.shares = [{ tag: 'h0', hostPath: '/x', readOnly: false, transport: 'virtiofs', socketPath: '/s' }]; b.x.ninePSockets = { h0: '/s' }; }, /no virtiofs/],
    ['port forwards', (b) => (b.c.hostForwards = [{ hostPort: 1, guestPort: 1 }]), /no user-mode port forwards/],
    ['0 cpus', (b) => (b.c.cpus = 0), /cpus/],
  ];
  for (const [what, change, re] of cases) {
    it(what, () => {
      const b = base();
      change(b);
      expect(() => hyperkitArgs(b.c, b.x)).toThrow(re);
    });
  }
});
