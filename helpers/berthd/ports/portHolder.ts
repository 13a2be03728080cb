// Owns: naming the program that holds a host port Berth could not listen on ("held by nginx (pid 1234)"),
// from /proc/net/tcp{,6} and /proc/*/fd on Linux; other systems say nothing (undefined).
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** One socket of /proc/net/tcp or /proc/net/tcp6. */
export type ProcTcpSocket = { address: string; port: number; state: number; uid: number; inode: number };

export const TCP_LISTEN = 0x0a;

/** IPv6 text (with :: and an IPv4 tail) as eight numbers; undefined when it is not IPv6. */
export function ipv6Groups(text: string): number[] | undefined {
  let s = text.replace(/^\[|\]$/g, '').replace(/%.*$/, '');
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const b = v4.slice(1).map(Number);
    s = `${s.slice(0, v4.index)}${(((b[0] ?? 0) << 8) | (b[1] ?? 0)).toString(16)}:${(((b[2] ?? 0) << 8) | (b[3] ?? 0)).toString(16)}`;
  }
  const halves = s.split('::');
  if (halves.length > 2) return undefined;
  const part = (h: string | undefined): string[] => (h ? h.split(':') : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const fill = 8 - head.length - tail.length;
  if (halves.length === 1 ? fill !== 0 : fill < 1) return undefined;
  const groups = [...head, ...Array<string>(halves.length === 1 ? 0 : fill).fill('0'), ...tail].map((g) => (/^[0-9a-f]{1,4}$/i.test(g) ? parseInt(g, 16) : NaN));
  return groups.some(Number.isNaN) ? undefined : groups;
}

/** A comparable form of an address: dotted IPv4, or IPv6 as eight hex groups (IPv4-mapped becomes IPv4). */
export function canonicalAddress(text: string): string {
  if (/^\d+\.\d+\.\d+\.\d+$/.test(text)) return text;
  const g = ipv6Groups(text);
  if (!g) return text;
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) {
    return [(g[6] ?? 0) >> 8, (g[6] ?? 0) & 255, (g[7] ?? 0) >> 8, (g[7] ?? 0) & 255].join('.');
  }
  return g.map((x) => x.toString(16)).join(':');
}

/** The kernel's hex address: each 32-bit word in host order (little-endian on the machines Berth runs on). */
function hexAddress(hex: string): string | undefined {
  if (!/^[0-9A-F]+$/i.test(hex) || (hex.length !== 8 && hex.length !== 32)) return undefined;
  const bytes: number[] = [];
  for (let w = 0; w < hex.length; w += 8) {
    const word = Buffer.from(hex.slice(w, w + 8), 'hex');
    bytes.push(...word.reverse());
  }
  if (bytes.length === 4) return bytes.join('.');
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)).toString(16));
  return canonicalAddress(groups.join(':'));
}

/** One line of /proc/net/tcp or tcp6 ("  0: 0100007F:1F90 00000000:0000 0A … uid timeout inode …"); undefined for the header or junk. */
export function parseProcNetTcpLine(line: string): ProcTcpSocket | undefined {
  const f = line.trim().split(/\s+/);
  if (f.length < 10 || !/^\d+:$/.test(f[0] ?? '')) return undefined;
  const [addrHex, portHex] = (f[1] ?? '').split(':');
  const address = hexAddress(addrHex ?? '');
  const port = parseInt(portHex ?? '', 16);
  const state = parseInt(f[3] ?? '', 16);
  const uid = Number(f[7]);
  const inode = Number(f[9]);
  if (address === undefined || !Number.isInteger(port) || !Number.isInteger(state) || !Number.isInteger(inode)) return undefined;
  return { address, port, state, uid, inode };
}

export function parseProcNetTcp(text: string): ProcTcpSocket[] {
  return text.split('\n').flatMap((l) => parseProcNetTcpLine(l) ?? []);
}

/**
 * The listening socket that keeps `address:port` from being bound: one on that very address first,
 * then a wildcard one (0.0.0.0 or ::), then any other listener on the port.
 */
export function findListener(sockets: readonly ProcTcpSocket[], port: number, address: string): ProcTcpSocket | undefined {
  const want = canonicalAddress(address);
  const wildcard = new Set(['0.0.0.0', canonicalAddress('::')]);
  const listeners = sockets.filter((s) => s.state === TCP_LISTEN && s.port === port && s.inode > 0);
  return listeners.find((s) => s.address === want) ?? listeners.find((s) => wildcard.has(s.address)) ?? listeners[0];
}

/** The process with an open descriptor on socket `inode` (processes of other users are not readable: undefined). */
export function findSocketOwner(inode: number, procRoot = '/proc'): { pid: number; comm: string } | undefined {
  const link = `socket:[${inode}]`;
  let pids: string[];
  try {
    pids = readdirSync(procRoot).filter((d) => /^\d+$/.test(d));
  } catch {
    return undefined;
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`${procRoot}/${pid}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`${procRoot}/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      if (target !== link) continue;
      let comm = '';
      try {
        comm = readFileSync(`${procRoot}/${pid}/comm`, 'utf8').trim();
      } catch {
        // gone meanwhile: the pid still says who it was
      }
      return { pid: Number(pid), comm: comm || 'a program' };
    }
  }
  return undefined;
}

/** "held by nginx (pid 1234)" for the program listening where Berth wanted to; undefined when the OS does not tell. */
export function describePortHolder(port: number, address: string, procRoot = '/proc'): string | undefined {
  if (process.platform !== 'linux') return undefined;
  const sockets: ProcTcpSocket[] = [];
  for (const file of ['net/tcp', 'net/tcp6']) {
    try {
      sockets.push(...parseProcNetTcp(readFileSync(`${procRoot}/${file}`, 'utf8')));
    } catch {
      // no IPv6 (or no procfs): look at what there is
    }
  }
  const listener = findListener(sockets, port, address);
  if (!listener) return undefined;
  const owner = findSocketOwner(listener.inode, procRoot);
  return owner ? `held by ${owner.comm} (pid ${owner.pid})` : undefined;
}
