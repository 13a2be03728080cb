// Pure builder: VmConfig → the argv of qemu-system-x86_64. Snapshot-tested; values that QEMU
// parses as option lists have their commas doubled, so a path can never add an option (T-44).
import type { VmConfig, VmShare } from './vmConfig.ts';

/** Escape a value inside a QEMU `key=value,key=value` option list. */
export function qemuOptValue(value: string): string {
  if (value.includes('\0') || value.includes('\n')) throw new Error(`QEMU option values cannot hold NUL or newline: ${JSON.stringify(value)}`);
  return value.replace(/,/g, ',,');
}

const opts = (o: Record<string, string | number | boolean | undefined>): string =>
  Object.entries(o)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (v === true ? k : `${k}=${typeof v === 'string' ? qemuOptValue(v) : String(v)}`))
    .join(',');

export const GUEST_LINK_PORT_NAME = 'berth.link';

/** QEMU's -accel value for TCG: one thread for every vCPU unless asked (multi-threaded TCG locks a guest up at a static-key flip: vmConfig.ts). */
export function tcgAccel(thread: VmConfig['tcgThread'] = 'single'): string {
  return `tcg,thread=${thread}`;
}

/**
 * The emulated CPU under TCG: QEMU's `max` without ERMS and FSRM. With them the guest kernel copies and
 * clears memory with `rep movsb`/`rep stosb`, which QEMU 7.2's TCG runs one byte per loop turn; without
 * them it uses `rep movsq`/`rep stosq` (8 bytes a turn) and glibc its vector loops. Measured in the guest:
 * 256 MB through a pipe 2.5–3.8 s → 0.6–1.0 s; `docker cp` out 1.4× faster (docs/performance.md).
 */
export const TCG_CPU = 'max,-erms,-fsrm';

export function qemuArgs(c: VmConfig): string[] {
  if (!Number.isInteger(c.cpus) || c.cpus < 1) throw new Error(`cpus must be a whole number ≥ 1, got ${c.cpus}`);
  if (!Number.isInteger(c.memoryMiB) || c.memoryMiB < 128) throw new Error(`memory must be at least 128 MiB, got ${c.memoryMiB}`);
  const shares = c.shares ?? [];
  for (const s of shares) {
    if (!/^[A-Za-z0-9_.-]{1,31}$/.test(s.tag)) throw new Error(`share tag ${JSON.stringify(s.tag)} must be 1–31 letters, digits, "_", "." or "-"`);
  }
  // vhost-user devices (virtiofsd) read and write guest RAM directly: it must be a shared memfd.
  const sharedRam = shares.some((s) => s.transport === 'virtiofs');
  const a: string[] = [
    '-name', qemuOptValue(c.name),
    '-machine', opts({ type: 'q35', accel: c.accel === 'tcg' ? undefined : c.accel, 'memory-backend': sharedRam ? 'ram' : undefined }),
    ...(sharedRam ? ['-object', `memory-backend-memfd,id=ram,size=${c.memoryMiB}M,share=on`] : []),
    ...(c.accel === 'tcg' ? ['-accel', tcgAccel(c.tcgThread)] : []),
    '-cpu', c.accel === 'tcg' ? TCG_CPU : 'host',
    '-smp', String(c.cpus),
    '-m', `${c.memoryMiB}M`,
    '-nodefaults', '-no-user-config', '-nographic', '-no-reboot',
    '-rtc', 'base=utc,clock=host',
    '-kernel', c.kernel,
    '-initrd', c.initrd,
    // berth.cpu=emulated: the guest's boot and dockerd run without ASLR, which TCG needs to reuse its translations.
    '-append', c.accel === 'tcg' ? `${c.cmdline} berth.cpu=emulated` : c.cmdline,
    '-chardev', opts({ file: true, id: 'console', path: c.consoleLog }),
    '-serial', 'chardev:console',
    '-device', 'virtio-rng-pci',
    '-netdev', opts({
      user: true,
      id: 'net0',
      hostfwd: undefined,
    }) + (c.hostForwards ?? []).map((f) => `,hostfwd=tcp:127.0.0.1:${f.hostPort}-:${f.guestPort}`).join(''),
    '-device', 'virtio-net-pci,netdev=net0,romfile=',
  ];
  if (c.dataDisk) {
    a.push('-drive', opts({ if: 'none', id: 'data', file: c.dataDisk.path, format: c.dataDisk.format, discard: 'unmap', 'detect-zeroes': 'unmap', cache: 'writeback' }));
    a.push('-device', 'virtio-blk-pci,drive=data,serial=berth-data');
  }
  if (c.configDisk) {
    a.push('-drive', opts({ if: 'none', id: 'config', file: c.configDisk, format: 'raw', readonly: 'on' }));
    a.push('-device', 'virtio-blk-pci,drive=config,serial=berth-config');
  }
  if (c.qmpSocket) a.push('-qmp', `unix:${qemuOptValue(c.qmpSocket)},server=on,wait=off`);
  if (c.guestLinkSocket) {
    a.push('-device', 'virtio-serial-pci,id=vserial');
    a.push('-chardev', opts({ socket: true, id: 'link', path: c.guestLinkSocket, server: 'on', wait: 'off' }));
    a.push('-device', `virtserialport,bus=vserial.0,chardev=link,name=${GUEST_LINK_PORT_NAME}`);
  }
  a.push(...shareArgs(shares));
  if (c.pidFile) a.push('-pidfile', c.pidFile);
  return a;
}

/**
 * The devices of the shares (docs/guest-config.md says why each option). 9p is served by QEMU:
 * security_model=none makes every file QEMU creates its own user's (and chmod pass through), and
 * multidevs=remap keeps inode numbers unique when the share spans several host file systems.
 * virtiofs is served by a virtiofsd listening on the share's socket (virtiofsd.ts).
 */
function shareArgs(shares: VmShare[]): string[] {
  const a: string[] = [];
  shares.forEach((s, i) => {
    if (s.transport === 'virtiofs') {
      if (s.readOnly) throw new Error(`share ${s.tag}: virtiofsd cannot enforce read-only; use 9p for read-only shares`);
      a.push('-chardev', opts({ socket: true, id: `vfs${i}`, path: s.socketPath }));
      a.push('-device', opts({ 'vhost-user-fs-pci': true, 'queue-size': 1024, chardev: `vfs${i}`, tag: s.tag }));
    } else {
      a.push('-fsdev', opts({ local: true, id: `fs${i}`, path: s.hostPath, security_model: 'none', multidevs: 'remap', readonly: s.readOnly ? 'on' : undefined }));
      a.push('-device', `virtio-9p-pci,fsdev=fs${i},mount_tag=${s.tag}`);
    }
  });
  return a;
}
