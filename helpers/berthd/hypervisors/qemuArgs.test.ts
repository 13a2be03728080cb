// Owns: tests of qemuArgs.ts: argv snapshots for three configs, T-44 comma doubling of hostile
// values (checked by re-parsing QEMU option lists), and the rejections of bad input.

import { describe, expect, it } from 'vitest';
import { GUEST_LINK_PORT_NAME, qemuArgs, qemuOptValue } from './qemuArgs.ts';
import type { VmConfig } from './vmConfig.ts';

const minimal: VmConfig = {
  name: 'berth',
  cpus: 1,
  memoryMiB: 512,
  accel: 'tcg',
  kernel: '/opt/berth/vmlinuz',
  initrd: '/opt/berth/initramfs.cpio.zst',
  cmdline: 'console=ttyS0 quiet',
  consoleLog: '/tmp/berth/console.log',
};

const full: VmConfig = {
  name: 'berth-dev',
  cpus: 4,
  memoryMiB: 4096,
  accel: 'kvm',
  kernel: '/opt/berth/vmlinuz',
  initrd: '/opt/berth/initramfs.cpio.zst',
  cmdline: 'console=ttyS0 berth.debug',
  dataDisk: { path: '/var/lib/berth/data.qcow2', format: 'qcow2' },
  configDisk: '/run/berth/config.tar',
  consoleLog: '/run/berth/console.log',
  qmpSocket: '/run/berth/qmp.sock',
  guestLinkSocket: '/run/berth/link.sock',
  hostForwards: [
    { hostPort: 2375, guestPort: 2375 },
    { hostPort: 8080, guestPort: 80 },
  ],
  shares: [
    { tag: 'home', hostPath: '/home/me', readOnly: false },
    { tag: 'proj.src-1', hostPath: '/srv/projects', readOnly: false },
  ],
  pidFile: '/run/berth/qemu.pid',
};

/** How QEMU splits an option list: "," separates, ",," is a literal comma. */
function parseQemuOpts(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  for (let i = 0; i < s.length; i++) {
    if (s[i] === ',') {
      if (s[i + 1] === ',') {
        cur += ',';
        i++;
      } else {
        out.push(cur);
        cur = '';
      }
    } else cur += s[i];
  }
  out.push(cur);
  return out;
}

/** The value after `flag` (its first occurrence whose value satisfies `pick`). */
function after(argv: string[], flag: string, pick: (v: string) => boolean = () => true): string {
  for (let i = 0; i < argv.length - 1; i++) if (argv[i] === flag && pick(argv[i + 1]!)) return argv[i + 1]!;
  throw new Error(`no ${flag} in argv`);
}

describe('qemuArgs snapshots', () => {
  it('tcg, minimal', () => {
    expect(qemuArgs(minimal)).toMatchInlineSnapshot(`
      [
        "-name",
        "berth",
        "-machine",
        "type=q35",
        "-accel",
        "tcg,thread=single",
        "-cpu",
        "max,-erms,-fsrm",
        "-smp",
        "1",
        "-m",
        "512M",
        "-nodefaults",
        "-no-user-config",
        "-nographic",
        "-no-reboot",
        "-rtc",
        "base=utc,clock=host",
        "-kernel",
        "/opt/berth/vmlinuz",
        "-initrd",
        "/opt/berth/initramfs.cpio.zst",
        "-append",
        "console=ttyS0 quiet berth.cpu=emulated",
        "-chardev",
        "file,id=console,path=/tmp/berth/console.log",
        "-serial",
        "chardev:console",
        "-device",
        "virtio-rng-pci",
        "-netdev",
        "user,id=net0",
        "-device",
        "virtio-net-pci,netdev=net0,romfile=",
      ]
    `);
  });

  it('kvm with data disk, config disk, QMP, guest link, forwards and two shares', () => {
    expect(qemuArgs(full)).toMatchInlineSnapshot(`
      [
        "-name",
        "berth-dev",
        "-machine",
        "type=q35,accel=kvm",
        "-cpu",
        "host",
        "-smp",
        "4",
        "-m",
        "4096M",
        "-nodefaults",
        "-no-user-config",
        "-nographic",
        "-no-reboot",
        "-rtc",
        "base=utc,clock=host",
        "-kernel",
        "/opt/berth/vmlinuz",
        "-initrd",
        "/opt/berth/initramfs.cpio.zst",
        "-append",
        "console=ttyS0 berth.debug",
        "-chardev",
        "file,id=console,path=/run/berth/console.log",
        "-serial",
        "chardev:console",
        "-device",
        "virtio-rng-pci",
        "-netdev",
        "user,id=net0,hostfwd=tcp:127.0.0.1:2375-:2375,hostfwd=tcp:127.0.0.1:8080-:80",
        "-device",
        "virtio-net-pci,netdev=net0,romfile=",
        "-drive",
        "if=none,id=data,file=/var/lib/berth/data.qcow2,format=qcow2,discard=unmap,detect-zeroes=unmap,cache=writeback",
        "-device",
        "virtio-blk-pci,drive=data,serial=berth-data",
        "-drive",
        "if=none,id=config,file=/run/berth/config.tar,format=raw,readonly=on",
        "-device",
        "virtio-blk-pci,drive=config,serial=berth-config",
        "-qmp",
        "unix:/run/berth/qmp.sock,server=on,wait=off",
        "-device",
        "virtio-serial-pci,id=vserial",
        "-chardev",
        "socket,id=link,path=/run/berth/link.sock,server=on,wait=off",
        "-device",
        "virtserialport,bus=vserial.0,chardev=link,name=berth.link",
        "-fsdev",
        "local,id=fs0,path=/home/me,security_model=none,multidevs=remap",
        "-device",
        "virtio-9p-pci,fsdev=fs0,mount_tag=home",
        "-fsdev",
        "local,id=fs1,path=/srv/projects,security_model=none,multidevs=remap",
        "-device",
        "virtio-9p-pci,fsdev=fs1,mount_tag=proj.src-1",
        "-pidfile",
        "/run/berth/qemu.pid",
      ]
    `);
  });

  it('a read-only share', () => {
    const argv = qemuArgs({ ...minimal, accel: 'hvf', shares: [{ tag: 'ro', hostPath: '/data/ro', readOnly: true }] });
    expect(argv.slice(argv.indexOf('-fsdev'))).toMatchInlineSnapshot(`
      [
        "-fsdev",
        "local,id=fs0,path=/data/ro,security_model=none,multidevs=remap,readonly=on",
        "-device",
        "virtio-9p-pci,fsdev=fs0,mount_tag=ro",
      ]
    `);
  });
});

describe('qemuArgs shares', () => {
  const vfs = (tag: string, socketPath: string) => ({ tag, hostPath: `/h/${tag}`, readOnly: false, transport: 'virtiofs' as const, socketPath });

  it('virtiofs: a vhost-user-fs device per share on its socket, guest RAM a shared memfd of the VM size', () => {
    const argv = qemuArgs({
      ...minimal,
      memoryMiB: 2048,
      shares: [vfs('share0', '/run/berth/virtiofs-share0.sock'), { tag: 'share1', hostPath: '/ro, data', readOnly: true, transport: '9p' }, vfs('share2', '/run/berth/virtiofs-share2.sock')],
    });
    expect(argv.slice(0, 8)).toMatchInlineSnapshot(`
      [
        "-name",
        "berth",
        "-machine",
        "type=q35,memory-backend=ram",
        "-object",
        "memory-backend-memfd,id=ram,size=2048M,share=on",
        "-accel",
        "tcg,thread=single",
      ]
    `);
    expect(argv.slice(argv.indexOf('-chardev', argv.indexOf('-chardev') + 1))).toMatchInlineSnapshot(`
      [
        "-chardev",
        "socket,id=vfs0,path=/run/berth/virtiofs-share0.sock",
        "-device",
        "vhost-user-fs-pci,queue-size=1024,chardev=vfs0,tag=share0",
        "-fsdev",
        "local,id=fs1,path=/ro,, data,security_model=none,multidevs=remap,readonly=on",
        "-device",
        "virtio-9p-pci,fsdev=fs1,mount_tag=share1",
        "-chardev",
        "socket,id=vfs2,path=/run/berth/virtiofs-share2.sock",
        "-device",
        "vhost-user-fs-pci,queue-size=1024,chardev=vfs2,tag=share2",
      ]
    `);
  });

  it('9p shares keep the default RAM backend; a transport left out means 9p', () => {
    const argv = qemuArgs({ ...minimal, shares: [{ tag: 'a', hostPath: '/a', readOnly: false }] });
    expect(after(argv, '-machine')).toBe('type=q35');
    expect(argv).not.toContain('-object');
    expect(argv).toContain('virtio-9p-pci,fsdev=fs0,mount_tag=a');
  });

  it('refuses a read-only virtiofs share (virtiofsd 7.2 cannot enforce it; the plan uses 9p for those)', () => {
    expect(() => qemuArgs({ ...minimal, shares: [{ ...vfs('share0', '/s.sock'), readOnly: true }] })).toThrow(/cannot enforce read-only/);
  });
});

describe('qemuArgs structure', () => {
  it('uses every requested accelerator except tcg on -machine, and tcg through -accel', () => {
    for (const accel of ['kvm', 'hvf', 'whpx'] as const) {
      const argv = qemuArgs({ ...minimal, accel });
      expect(after(argv, '-machine')).toBe(`type=q35,accel=${accel}`);
      expect(argv).not.toContain('-accel');
      expect(after(argv, '-cpu')).toBe('host');
    }
    const tcg = qemuArgs(minimal);
    expect(after(tcg, '-machine')).toBe('type=q35');
    // One thread for all vCPUs: multi-threaded TCG locks a 2-vCPU guest up at a static-key flip.
    expect(after(tcg, '-accel')).toBe('tcg,thread=single');
    // No ERMS/FSRM: TCG runs `rep movsb` a byte at a time, the guest's copies use `rep movsq` instead.
    expect(after(tcg, '-cpu')).toBe('max,-erms,-fsrm');
    expect(after(qemuArgs({ ...minimal, tcgThread: 'multi' }), '-accel')).toBe('tcg,thread=multi');
  });

  it('has no disk, QMP, link, share or pidfile options unless asked', () => {
    const argv = qemuArgs(minimal);
    for (const flag of ['-drive', '-qmp', '-fsdev', '-pidfile']) expect(argv).not.toContain(flag);
    expect(argv.filter((a) => a.includes('virtserialport'))).toEqual([]);
    expect(after(argv, '-netdev')).toBe('user,id=net0');
  });

  it('names the guest link port as the guest agent expects', () => {
    const argv = qemuArgs(full);
    expect(argv).toContain(`virtserialport,bus=vserial.0,chardev=link,name=${GUEST_LINK_PORT_NAME}`);
    expect(GUEST_LINK_PORT_NAME).toBe('berth.link');
  });

  it('uses raw format for a raw data disk and never puts a disk in the command line twice', () => {
    const argv = qemuArgs({ ...minimal, dataDisk: { path: '/d.img', format: 'raw' } });
    const drives = argv.filter((_, i) => argv[i - 1] === '-drive');
    expect(drives).toEqual(['if=none,id=data,file=/d.img,format=raw,discard=unmap,detect-zeroes=unmap,cache=writeback']);
  });
});

describe('T-44: hostile values cannot add QEMU options', () => {
  const HOSTILE = "/tmp/evil,file=/etc/shadow,readonly=off $(id) `id`; rm -rf / 'q' \"qq\",,x,";

  it('T-44: name, disk path, console path, share path, QMP and link paths: commas doubled, nothing else changed', () => {
    // Build once with a placeholder, once with the hostile value: the only difference allowed is
    // the placeholder replaced by the value with its commas doubled.
    const PLACE = 'PLACEHOLDER';
    const make = (v: string): VmConfig => ({
      ...full,
      name: `${v}-name`,
      dataDisk: { path: `${v}/data.qcow2`, format: 'qcow2' },
      configDisk: `${v}/config.tar`,
      consoleLog: `${v}/console.log`,
      qmpSocket: `${v}/qmp.sock`,
      guestLinkSocket: `${v}/link.sock`,
      shares: [{ tag: 'home', hostPath: `${v}/share`, readOnly: true }],
    });
    const plain = qemuArgs(make(PLACE));
    const hostile = qemuArgs(make(HOSTILE));
    const doubled = HOSTILE.replace(/,/g, ',,');
    expect(hostile).toHaveLength(plain.length);
    const touched = plain.filter((a) => a.includes(PLACE)).length;
    expect(touched).toBe(7);
    hostile.forEach((arg, i) => expect(arg).toBe(plain[i]!.split(PLACE).join(doubled)));
  });

  it('T-44: QEMU parsing of each option list gives back the exact value and no extra keys', () => {
    const argv = qemuArgs({
      ...full,
      name: HOSTILE,
      dataDisk: { path: HOSTILE, format: 'qcow2' },
      configDisk: `${HOSTILE}2`,
      consoleLog: HOSTILE,
      guestLinkSocket: HOSTILE,
      shares: [{ tag: 'home', hostPath: HOSTILE, readOnly: false }],
    });
    expect(parseQemuOpts(after(argv, '-name'))).toEqual([HOSTILE]);

    const data = parseQemuOpts(after(argv, '-drive', (v) => v.includes('id=data')));
    expect(data).toEqual(['if=none', 'id=data', `file=${HOSTILE}`, 'format=qcow2', 'discard=unmap', 'detect-zeroes=unmap', 'cache=writeback']);
    const config = parseQemuOpts(after(argv, '-drive', (v) => v.includes('id=config')));
    expect(config).toEqual(['if=none', 'id=config', `file=${HOSTILE}2`, 'format=raw', 'readonly=on']);

    const consoleDev = parseQemuOpts(after(argv, '-chardev', (v) => v.startsWith('file,')));
    expect(consoleDev).toEqual(['file', 'id=console', `path=${HOSTILE}`]);
    const link = parseQemuOpts(after(argv, '-chardev', (v) => v.startsWith('socket,')));
    expect(link).toEqual(['socket', 'id=link', `path=${HOSTILE}`, 'server=on', 'wait=off']);

    const fsdev = parseQemuOpts(after(argv, '-fsdev'));
    expect(fsdev).toEqual(['local', 'id=fs0', `path=${HOSTILE}`, 'security_model=none', 'multidevs=remap']);
  });

  it('T-44: a virtiofs socket path is one chardev value and cannot add options', () => {
    const argv = qemuArgs({ ...minimal, shares: [{ tag: 'share0', hostPath: HOSTILE, readOnly: false, transport: 'virtiofs', socketPath: HOSTILE }] });
    expect(parseQemuOpts(after(argv, '-chardev', (v) => v.startsWith('socket,')))).toEqual(['socket', 'id=vfs0', `path=${HOSTILE}`]);
    expect(parseQemuOpts(after(argv, '-device', (v) => v.startsWith('vhost-user-fs-pci')))).toEqual(['vhost-user-fs-pci', 'queue-size=1024', 'chardev=vfs0', 'tag=share0']);
    // virtiofsd serves the folder: the host path never reaches QEMU's command line.
    expect(argv.filter((a) => a.includes('/etc/shadow'))).toHaveLength(1);
  });

  it('T-44: qemuOptValue doubles every comma and leaves the rest alone', () => {
    expect(qemuOptValue('a,b,,c,')).toBe('a,,b,,,,c,,');
    expect(qemuOptValue("$(id) `x`; 'y' \"z\"")).toBe("$(id) `x`; 'y' \"z\"");
    expect(qemuOptValue('')).toBe('');
  });
});

describe('qemuArgs rejections', () => {
  it('rejects cpus that are not a whole number ≥ 1', () => {
    for (const cpus of [0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      expect(() => qemuArgs({ ...minimal, cpus })).toThrow(/cpus must be a whole number/);
    }
  });

  it('rejects memory below 128 MiB or not whole', () => {
    for (const memoryMiB of [0, 127, 256.5, Number.NaN, -512]) {
      expect(() => qemuArgs({ ...minimal, memoryMiB })).toThrow(/memory must be at least 128 MiB/);
    }
    expect(qemuArgs({ ...minimal, memoryMiB: 128 })).toContain('128M');
  });

  it('rejects share tags that are empty, too long or hold other characters', () => {
    for (const tag of ['', 'a'.repeat(32), 'has space', 'a,b', 'a/b', 'ü', 'x\n']) {
      expect(() => qemuArgs({ ...minimal, shares: [{ tag, hostPath: '/x', readOnly: false }] })).toThrow(/share tag .* must be 1–31 letters/);
    }
    expect(() => qemuArgs({ ...minimal, shares: [{ tag: 'a'.repeat(31), hostPath: '/x', readOnly: false }] })).not.toThrow();
  });

  it('rejects NUL and newline in escaped values', () => {
    const bad = (v: string): VmConfig[] => [
      { ...minimal, name: v },
      { ...minimal, consoleLog: v },
      { ...minimal, dataDisk: { path: v, format: 'raw' } },
      { ...minimal, configDisk: v },
      { ...minimal, qmpSocket: v },
      { ...minimal, guestLinkSocket: v },
      { ...minimal, shares: [{ tag: 't', hostPath: v, readOnly: false }] },
    ];
    for (const v of ['/a\0b', '/a\nb']) {
      for (const c of bad(v)) expect(() => qemuArgs(c)).toThrow(/cannot hold NUL or newline/);
    }
    expect(() => qemuOptValue('\0')).toThrow();
    expect(() => qemuOptValue('\n')).toThrow();
  });
});
