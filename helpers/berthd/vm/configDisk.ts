// Builds the guest's config disk: a ustar archive under `berth-config/`, attached read-only as a
// raw virtio disk. Works on every hypervisor (no fw_cfg needed); see docs/guest-config.md.
import { writeFileSync } from 'node:fs';

export type GuestConfig = {
  hostname?: string;
  /** daemon.json for the guest's dockerd (an object; written as JSON). */
  daemonJson?: Record<string, unknown>;
  /** Lines of KEY=VALUE exported to the services (proxy settings). */
  environment?: Record<string, string>;
  mounts?: { fstype: '9p' | 'virtiofs'; tag: string; guestPath: string; readOnly: boolean }[];
};

const BLOCK = 512;

function header(name: string, size: number, type: '0' | '5', mode: number): Buffer {
  const h = Buffer.alloc(BLOCK);
  if (Buffer.byteLength(name) > 100) throw new Error(`config disk entry name too long: ${name}`);
  h.write(name, 0, 100, 'utf8');
  h.write(`${mode.toString(8).padStart(7, '0')}\0`, 100, 'ascii');
  h.write('0000000\0', 108, 'ascii');
  h.write('0000000\0', 116, 'ascii');
  h.write(`${size.toString(8).padStart(11, '0')}\0`, 124, 'ascii');
  h.write('00000000000\0', 136, 'ascii');
  h.write('        ', 148, 'ascii');
  h.write(type, 156, 'ascii');
  h.write('ustar\0', 257, 'ascii');
  h.write('00', 263, 'ascii');
  let sum = 0;
  for (const b of h) sum += b;
  h.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 'ascii');
  return h;
}

/** A deterministic ustar archive of the given files (sorted), padded to whole 512-byte blocks. */
export function ustar(files: Record<string, string>): Buffer {
  const parts: Buffer[] = [header('berth-config/', 0, '5', 0o755)];
  for (const name of Object.keys(files).sort()) {
    if (!/^[A-Za-z0-9._-]+$/.test(name) || /^\.+$/.test(name)) throw new Error(`config disk file name not allowed: ${name}`);
    const data = Buffer.from(files[name]!, 'utf8');
    parts.push(header(`berth-config/${name}`, data.length, '0', 0o644), data, Buffer.alloc((BLOCK - (data.length % BLOCK)) % BLOCK));
  }
  parts.push(Buffer.alloc(BLOCK * 2));
  const tar = Buffer.concat(parts);
  const pad = (10240 - (tar.length % 10240)) % 10240;
  return Buffer.concat([tar, Buffer.alloc(pad)]);
}

const noControl = (what: string, v: string): string => {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\0-\x1f\x7f]/.test(v)) throw new Error(`${what} must not contain control characters (tab, newline …): ${JSON.stringify(v)}`);
  return v;
};

/** The files of the config disk for a GuestConfig. Pure; `writeConfigDisk` puts them on disk. */
export function configDiskFiles(c: GuestConfig): Record<string, string> {
  const files: Record<string, string> = {};
  if (c.hostname !== undefined) {
    if (!/^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/.test(c.hostname)) throw new Error(`hostname ${JSON.stringify(c.hostname)} is not a valid host name`);
    files.hostname = `${c.hostname}\n`;
  }
  if (c.daemonJson !== undefined) files['daemon.json'] = `${JSON.stringify(c.daemonJson, null, 2)}\n`;
  if (c.environment !== undefined) {
    files.environment = Object.entries(c.environment)
      .map(([k, v]) => {
        if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(k)) throw new Error(`environment name ${JSON.stringify(k)} is not valid`);
        return `export ${k}='${noControl(k, v).replace(/'/g, `'\\''`)}'\n`;
      })
      .join('');
  }
  if (c.mounts !== undefined) {
    files.mounts = c.mounts
      .map((m) => `${m.fstype}\t${noControl('share tag', m.tag)}\t${noControl('share path', m.guestPath)}\t${m.readOnly ? 'ro' : 'rw'}\n`)
      .join('');
  }
  return files;
}

export function writeConfigDisk(path: string, c: GuestConfig): void {
  writeFileSync(path, ustar(configDiskFiles(c)), { mode: 0o600 });
}
