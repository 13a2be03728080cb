// Owns: the deterministic initramfs "newc" (070701) cpio writer, streaming file data with
// backpressure, plus path validation and the canonical entry order (sortCpioEntries).

import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { isAbsolute } from 'node:path';
import type { Writable } from 'node:stream';

export type CpioEntry = {
  /** Relative, no leading slash, no '.', '..' or empty components, e.g. 'bin/busybox'. */
  path: string;
  kind: 'dir' | 'file' | 'symlink' | 'chardev';
  /** Permission bits only (0o7777 at most), e.g. 0o755; the file type comes from `kind`. */
  mode: number;
  uid?: number;
  gid?: number;
  /** file: expected size; if given it must match the source file's size on disk (or data's length). */
  size?: number;
  /** file: absolute path to stream the data from. */
  source?: string;
  /** file: inline data (instead of source). Neither: an empty file. */
  data?: Buffer;
  /** symlink: the link target, stored verbatim. */
  target?: string;
  /** chardev: device numbers (e.g. 5, 1 for dev/console); default 0. */
  rdevMajor?: number;
  rdevMinor?: number;
};

export type CpioOutput = NodeJS.WritableStream | Writable;

export class CpioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CpioError';
  }
}

const MAGIC = '070701';
const HEADER_SIZE = 110;
const MAX_FIELD = 0xffffffff;
/** The kernel's initramfs unpacker skips names longer than PATH_MAX (4096 including the NUL). */
const PATH_MAX = 4096;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;
const S_IFCHR = 0o020000;
const TRAILER = 'TRAILER!!!';

const pad4 = (n: number): number => (4 - (n % 4)) % 4;
const ZEROS = Buffer.alloc(4);

/** Throws CpioError unless path is a canonical relative archive path. */
export function validateCpioPath(path: string): void {
  if (typeof path !== 'string' || path === '') throw new CpioError('cpio entry has an empty path');
  const shown = JSON.stringify(path);
  if (path.includes('\0')) throw new CpioError(`cpio path ${shown} contains a NUL character`);
  if (path.startsWith('/')) throw new CpioError(`cpio path ${shown} is absolute; paths must be relative`);
  for (const part of path.split('/')) {
    if (part === '') throw new CpioError(`cpio path ${shown} has an empty component (trailing or doubled '/')`);
    if (part === '..') throw new CpioError(`cpio path ${shown} contains a '..' component`);
    if (part === '.') throw new CpioError(`cpio path ${shown} contains a '.' component`);
  }
  if (Buffer.byteLength(path) + 1 > PATH_MAX) throw new CpioError(`cpio path ${shown.slice(0, 60)}... is longer than PATH_MAX`);
}

function field(value: number, name: string, path: string): string {
  if (!Number.isInteger(value) || value < 0 || value > MAX_FIELD) {
    throw new CpioError(`cpio entry ${JSON.stringify(path)}: ${name} ${value} is not an integer in 0..0xffffffff`);
  }
  return value.toString(16).padStart(8, '0');
}

type HeaderFields = {
  ino: number; mode: number; uid: number; gid: number; nlink: number; mtime: number; size: number;
  rdevMajor?: number; rdevMinor?: number;
};

/** The 110-byte header followed by the NUL-terminated name, padded to a multiple of 4. */
function header(name: string, f: HeaderFields): Buffer {
  const nameBytes = Buffer.from(name, 'utf8');
  const namesize = nameBytes.length + 1;
  const fields: [number, string][] = [
    [f.ino, 'inode'], [f.mode, 'mode'], [f.uid, 'uid'], [f.gid, 'gid'], [f.nlink, 'nlink'],
    [f.mtime, 'mtime'], [f.size, 'size'], [0, 'devmajor'], [0, 'devminor'], [f.rdevMajor ?? 0, 'rdevmajor'],
    [f.rdevMinor ?? 0, 'rdevminor'], [namesize, 'namesize'], [0, 'check'],
  ];
  const text = MAGIC + fields.map(([v, n]) => field(v, n, name)).join('');
  const buf = Buffer.alloc(HEADER_SIZE + namesize + pad4(HEADER_SIZE + namesize));
  buf.write(text, 0, 'latin1');
  nameBytes.copy(buf, HEADER_SIZE);
  return buf;
}

/** Writes to the output honouring backpressure; surfaces 'error'/'close' of the output as a rejection. */
class Sink {
  bytes = 0;
  private failure: Error | undefined;
  private waiting: ((err?: Error) => void) | undefined;
  private readonly onError = (err: Error): void => this.fail(err);
  private readonly onClose = (): void => this.fail(new CpioError('cpio output stream closed before the archive was complete'));
  private readonly onDrain = (): void => this.wake();

  constructor(private readonly out: CpioOutput) {
    out.on('error', this.onError);
    out.on('close', this.onClose);
    out.on('drain', this.onDrain);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake(this.failure);
  }

  private wake(err?: Error): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.(err);
  }

  async write(chunk: Buffer): Promise<void> {
    if (this.failure !== undefined) throw this.failure;
    if ((this.out as { destroyed?: boolean }).destroyed === true) throw new CpioError('cpio output stream is destroyed');
    this.bytes += chunk.length;
    const ok = this.out.write(chunk, (err?: Error | null) => {
      if (err) this.fail(err);
    });
    if (this.failure !== undefined) throw this.failure;
    if (!ok) await new Promise<void>((resolve, reject) => (this.waiting = (err) => (err ? reject(err) : resolve())));
  }

  dispose(): void {
    this.out.removeListener('error', this.onError);
    this.out.removeListener('close', this.onClose);
    this.out.removeListener('drain', this.onDrain);
  }
}

/** Everything that can be checked without touching the file system; runs before any byte is written. */
function checkEntry(e: CpioEntry, seen: Set<string>): void {
  validateCpioPath(e.path);
  const shown = JSON.stringify(e.path);
  if (seen.has(e.path)) throw new CpioError(`cpio path ${shown} appears more than once`);
  seen.add(e.path);
  if (!Number.isInteger(e.mode) || e.mode < 0 || e.mode > 0o7777) {
    const mode = typeof e.mode === 'number' ? `0o${e.mode.toString(8)}` : String(e.mode);
    throw new CpioError(`cpio entry ${shown}: mode ${mode} is not permission bits only (0..0o7777)`);
  }
  field(e.uid ?? 0, 'uid', e.path);
  field(e.gid ?? 0, 'gid', e.path);
  if (e.kind === 'symlink') {
    if (typeof e.target !== 'string' || e.target === '' || e.target.includes('\0')) {
      throw new CpioError(`cpio symlink ${shown} needs a non-empty target without NUL`);
    }
  } else if (e.kind === 'file') {
    if (e.source !== undefined && e.data !== undefined) throw new CpioError(`cpio file ${shown} has both source and data`);
    if (e.size !== undefined) field(e.size, 'size', e.path);
    if (e.source !== undefined && !isAbsolute(e.source)) {
      throw new CpioError(`cpio file ${shown}: source ${JSON.stringify(e.source)} is not an absolute path`);
    }
    if (e.data !== undefined && e.size !== undefined && e.size !== e.data.length) {
      throw new CpioError(`cpio file ${shown}: size ${e.size} but inline data is ${e.data.length} bytes`);
    }
  } else if (e.kind === 'chardev') {
    field(e.rdevMajor ?? 0, 'rdevmajor', e.path);
    field(e.rdevMinor ?? 0, 'rdevminor', e.path);
  } else if (e.kind !== 'dir') {
    throw new CpioError(`cpio entry ${shown} has unknown kind ${JSON.stringify((e as { kind: unknown }).kind)}`);
  }
}

async function writePadded(sink: Sink, data: Buffer): Promise<void> {
  if (data.length > 0) await sink.write(data);
  if (pad4(data.length) > 0) await sink.write(ZEROS.subarray(0, pad4(data.length)));
}

async function writeFile(sink: Sink, e: CpioEntry, fields: Omit<HeaderFields, 'size'>): Promise<void> {
  if (e.source === undefined) {
    const data = e.data ?? Buffer.alloc(0);
    await sink.write(header(e.path, { ...fields, size: data.length }));
    await writePadded(sink, data);
    return;
  }
  const shown = JSON.stringify(e.path);
  const st = await stat(e.source);
  if (!st.isFile()) throw new CpioError(`cpio file ${shown}: source ${e.source} is not a regular file`);
  if (e.size !== undefined && e.size !== st.size) {
    throw new CpioError(`cpio file ${shown}: expected ${e.size} bytes but ${e.source} has ${st.size} on disk`);
  }
  await sink.write(header(e.path, { ...fields, size: st.size }));
  let copied = 0;
  for await (const chunk of createReadStream(e.source)) {
    const buf = chunk as Buffer;
    copied += buf.length;
    if (copied > st.size) throw new CpioError(`cpio file ${shown}: ${e.source} grew while being archived`);
    await sink.write(buf);
  }
  if (copied !== st.size) {
    throw new CpioError(`cpio file ${shown}: ${e.source} shrank while being archived (${copied} of ${st.size} bytes)`);
  }
  if (pad4(st.size) > 0) await sink.write(ZEROS.subarray(0, pad4(st.size)));
}

/**
 * Writes entries in the given order, then the trailer. Inodes are 1, 2, 3... in entry order;
 * nlink is 2 for directories, 1 for everything else. Entries are validated before anything is
 * written; a source file that is missing, of the wrong size or changing fails mid-archive
 * (discard the output then). Does not end `out`. `files` counts the entries written (all kinds,
 * trailer excluded); `bytes` is the archive length (a multiple of 4).
 */
export async function writeCpio(
  entries: CpioEntry[],
  out: CpioOutput,
  opts: { mtime?: number } = {},
): Promise<{ bytes: number; files: number }> {
  const mtime = opts.mtime ?? 0;
  field(mtime, 'mtime', '(options)');
  const seen = new Set<string>();
  for (const e of entries) checkEntry(e, seen);
  const sink = new Sink(out);
  let ino = 0;
  try {
    for (const e of entries) {
      ino += 1;
      const base = { ino, uid: e.uid ?? 0, gid: e.gid ?? 0, mtime };
      if (e.kind === 'dir') {
        await sink.write(header(e.path, { ...base, mode: S_IFDIR | e.mode, nlink: 2, size: 0 }));
      } else if (e.kind === 'symlink') {
        const target = Buffer.from(e.target ?? '', 'utf8');
        await sink.write(header(e.path, { ...base, mode: S_IFLNK | e.mode, nlink: 1, size: target.length }));
        await writePadded(sink, target);
      } else if (e.kind === 'chardev') {
        const rdev = { rdevMajor: e.rdevMajor ?? 0, rdevMinor: e.rdevMinor ?? 0 };
        await sink.write(header(e.path, { ...base, ...rdev, mode: S_IFCHR | e.mode, nlink: 1, size: 0 }));
      } else {
        await writeFile(sink, e, { ...base, mode: S_IFREG | e.mode, nlink: 1 });
      }
    }
    await sink.write(header(TRAILER, { ino: 0, mode: 0, uid: 0, gid: 0, nlink: 1, mtime: 0, size: 0 }));
    return { bytes: sink.bytes, files: ino };
  } finally {
    sink.dispose();
  }
}

const comparePaths = (a: Buffer, b: Buffer): number => Buffer.compare(a, b);

/**
 * Returns a new array in byte order of the UTF-8 paths (so every directory precedes its
 * contents: a path sorts before any path it prefixes), with missing parent directories added
 * as mode 0o755. Throws on invalid or duplicate paths and on parents that are not directories.
 */
export function sortCpioEntries(entries: readonly CpioEntry[]): CpioEntry[] {
  const byPath = new Map<string, CpioEntry>();
  for (const e of entries) {
    validateCpioPath(e.path);
    if (byPath.has(e.path)) throw new CpioError(`cpio path ${JSON.stringify(e.path)} appears more than once`);
    byPath.set(e.path, e);
  }
  for (const e of entries) {
    for (let i = e.path.lastIndexOf('/'); i > 0; i = e.path.lastIndexOf('/', i - 1)) {
      const parent = e.path.slice(0, i);
      const existing = byPath.get(parent);
      if (existing === undefined) {
        byPath.set(parent, { path: parent, kind: 'dir', mode: 0o755 });
        continue;
      }
      if (existing.kind !== 'dir') {
        throw new CpioError(`cpio path ${JSON.stringify(e.path)}: parent ${JSON.stringify(parent)} is a ${existing.kind}, not a dir`);
      }
      break;
    }
  }
  return [...byPath.values()]
    .map((e) => ({ key: Buffer.from(e.path, 'utf8'), e }))
    .sort((a, b) => comparePaths(a.key, b.key))
    .map(({ e }) => e);
}
