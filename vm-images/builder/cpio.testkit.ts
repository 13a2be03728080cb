// Owns: a strict test-only reader of "newc" (070701) cpio archives, used to check the
// writer's headers, padding, inode numbering and trailer byte by byte.

export type ParsedCpioEntry = {
  offset: number;
  ino: number;
  mode: number;
  uid: number;
  gid: number;
  nlink: number;
  mtime: number;
  filesize: number;
  devmajor: number;
  devminor: number;
  rdevmajor: number;
  rdevminor: number;
  namesize: number;
  check: number;
  name: string;
  data: Buffer;
};

const FIELDS = [
  'ino', 'mode', 'uid', 'gid', 'nlink', 'mtime', 'filesize',
  'devmajor', 'devminor', 'rdevmajor', 'rdevminor', 'namesize', 'check',
] as const;

const pad4 = (n: number): number => (4 - (n % 4)) % 4;

function expectZeros(buf: Buffer, start: number, len: number, what: string): void {
  for (let i = start; i < start + len; i++) {
    if (buf[i] !== 0) throw new Error(`${what}: non-zero padding byte at ${i}`);
  }
}

/**
 * Parses a whole archive; throws on any deviation (bad magic, non-hex or uppercase fields,
 * non-zero padding, misalignment, missing trailer, bytes after the trailer). The trailer is
 * returned as the last entry.
 */
export function parseNewc(buf: Buffer): ParsedCpioEntry[] {
  const out: ParsedCpioEntry[] = [];
  let pos = 0;
  for (;;) {
    if (pos % 4 !== 0) throw new Error(`entry at ${pos} is not 4-byte aligned`);
    if (pos + 110 > buf.length) throw new Error(`truncated header at ${pos}`);
    const magic = buf.toString('latin1', pos, pos + 6);
    if (magic !== '070701') throw new Error(`bad magic ${JSON.stringify(magic)} at ${pos}`);
    const values: Record<string, number> = {};
    FIELDS.forEach((name, i) => {
      const text = buf.toString('latin1', pos + 6 + i * 8, pos + 14 + i * 8);
      if (!/^[0-9a-f]{8}$/.test(text)) throw new Error(`field ${name} at ${pos} is ${JSON.stringify(text)}`);
      values[name] = parseInt(text, 16);
    });
    const v = (k: (typeof FIELDS)[number]): number => values[k] ?? NaN;
    const namesize = v('namesize');
    const nameEnd = pos + 110 + namesize;
    if (namesize < 1 || nameEnd > buf.length) throw new Error(`bad namesize ${namesize} at ${pos}`);
    if (buf[nameEnd - 1] !== 0) throw new Error(`name at ${pos} is not NUL-terminated`);
    const name = buf.toString('utf8', pos + 110, nameEnd - 1);
    if (name.includes('\0')) throw new Error(`name at ${pos} contains NUL`);
    expectZeros(buf, nameEnd, pad4(110 + namesize), `name padding of ${name}`);
    const dataStart = nameEnd + pad4(110 + namesize);
    const filesize = v('filesize');
    const dataEnd = dataStart + filesize;
    if (dataEnd > buf.length) throw new Error(`data of ${name} runs past the end`);
    expectZeros(buf, dataEnd, pad4(filesize), `data padding of ${name}`);
    out.push({
      offset: pos,
      ino: v('ino'), mode: v('mode'), uid: v('uid'), gid: v('gid'), nlink: v('nlink'), mtime: v('mtime'),
      filesize, devmajor: v('devmajor'), devminor: v('devminor'), rdevmajor: v('rdevmajor'),
      rdevminor: v('rdevminor'), namesize, check: v('check'), name,
      data: buf.subarray(dataStart, dataEnd),
    });
    pos = dataEnd + pad4(filesize);
    if (name === 'TRAILER!!!') break;
  }
  if (pos !== buf.length) throw new Error(`${buf.length - pos} bytes after the trailer`);
  return out;
}
