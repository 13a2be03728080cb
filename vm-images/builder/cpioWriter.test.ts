// Owns: tests of cpioWriter.ts: round trips through the real cpio tool, byte-level checks
// with cpio.testkit.ts, determinism, padding, streaming memory use, ordering and rejections.

import { spawnSync } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import {
  closeSync,
  createReadStream,
  createWriteStream,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readlinkSync,
  readSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseNewc } from './cpio.testkit.ts';
import { CpioError, sortCpioEntries, writeCpio, type CpioEntry } from './cpioWriter.ts';

const hasCpio = spawnSync('cpio', ['--version'], { stdio: 'ignore' }).status === 0;
const isRoot = process.getuid?.() === 0;
const MTIME = 1_700_000_000;

let dir = '';
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cpiowriter-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** In-memory sink; `delayMs` makes every write slow so backpressure really happens. */
function collector(opts: { highWaterMark?: number; delayMs?: number } = {}): Writable & { result(): Buffer } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    highWaterMark: opts.highWaterMark ?? 16384,
    write(chunk: Buffer, _enc, cb) {
      chunks.push(Buffer.from(chunk));
      if (opts.delayMs === undefined) cb();
      else setTimeout(cb, opts.delayMs);
    },
  });
  return Object.assign(w, { result: () => Buffer.concat(chunks) });
}

async function toBuffer(entries: CpioEntry[], opts?: { mtime?: number }): Promise<Buffer> {
  const out = collector();
  const { bytes } = await writeCpio(entries, out, opts);
  const buf = out.result();
  expect(buf.length).toBe(bytes);
  return buf;
}

async function toFile(entries: CpioEntry[], file: string, opts?: { mtime?: number }): Promise<{ bytes: number; files: number }> {
  const out = createWriteStream(file);
  const result = await writeCpio(entries, out, opts);
  out.end();
  await finished(out);
  return result;
}

function extract(archive: string, into: string): string {
  mkdirSync(into, { recursive: true });
  const r = spawnSync('cpio', ['-idmv', '--no-absolute-filenames'], { cwd: into, input: readFileSync(archive), encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  return r.stderr;
}

function sample(): { entries: CpioEntry[]; busybox: Buffer } {
  const busybox = randomBytes(100_003);
  const src = join(dir, 'busybox.src');
  writeFileSync(src, busybox);
  const entries: CpioEntry[] = [
    { path: 'bin/busybox', kind: 'file', mode: 0o755, source: src, size: busybox.length },
    { path: 'bin/sh', kind: 'symlink', mode: 0o777, target: 'busybox' },
    { path: 'lib64', kind: 'symlink', mode: 0o777, target: 'usr/lib/x86_64-linux-gnu' },
    { path: 'etc/hostname', kind: 'file', mode: 0o644, data: Buffer.from('berth\n') },
    { path: 'etc/empty', kind: 'file', mode: 0o600 },
    { path: 'etc/private', kind: 'dir', mode: 0o700 },
    { path: 'etc/private/key', kind: 'file', mode: 0o400, data: Buffer.from('k') },
    { path: 'usr/bin/su', kind: 'file', mode: 0o4755, data: Buffer.from('#!/bin/sh\n') },
    { path: 'tmp', kind: 'dir', mode: 0o1777 },
    { path: 'etc/ünïcødé name', kind: 'file', mode: 0o644, data: Buffer.from('utf8') },
  ];
  return { entries: sortCpioEntries(entries), busybox };
}

describe.skipIf(!hasCpio)('round trip through the cpio tool', () => {
  it('extracts contents, modes, symlinks and directories', async () => {
    const { entries, busybox } = sample();
    const archive = join(dir, 'sample.cpio');
    const { files } = await toFile(entries, archive, { mtime: MTIME });
    expect(files).toBe(entries.length);
    const root = join(dir, 'sample.out');
    extract(archive, root);
    const at = (p: string): string => join(root, p);
    expect(readFileSync(at('bin/busybox')).equals(busybox)).toBe(true);
    expect(readFileSync(at('etc/hostname'), 'utf8')).toBe('berth\n');
    expect(readFileSync(at('etc/empty')).length).toBe(0);
    expect(readFileSync(at('etc/ünïcødé name'), 'utf8')).toBe('utf8');
    expect(readlinkSync(at('bin/sh'))).toBe('busybox');
    expect(readlinkSync(at('lib64'))).toBe('usr/lib/x86_64-linux-gnu');
    const perm = (p: string): number => lstatSync(at(p)).mode & 0o7777;
    expect(perm('bin/busybox')).toBe(0o755);
    expect(perm('etc/hostname')).toBe(0o644);
    expect(perm('etc/empty')).toBe(0o600);
    expect(perm('etc/private/key')).toBe(0o400);
    expect(perm('etc/private')).toBe(0o700);
    expect(perm('tmp')).toBe(0o1777);
    if (isRoot) expect(perm('usr/bin/su')).toBe(0o4755);
    for (const d of ['bin', 'etc', 'usr', 'usr/bin', 'etc/private', 'tmp']) expect(lstatSync(at(d)).isDirectory(), d).toBe(true);
    expect(perm('usr/bin')).toBe(0o755); // added by sortCpioEntries
    expect(statSync(at('bin/busybox')).mtimeMs).toBe(MTIME * 1000);
  });

  it.skipIf(!isRoot)('creates character devices (needs root)', async () => {
    const archive = join(dir, 'dev.cpio');
    await toFile(sortCpioEntries([{ path: 'dev/console', kind: 'chardev', mode: 0o600, rdevMajor: 5, rdevMinor: 1 }]), archive);
    const root = join(dir, 'dev.out');
    extract(archive, root);
    const st = statSync(join(root, 'dev/console'));
    expect(st.isCharacterDevice()).toBe(true);
    expect(st.rdev).toBe((5 << 8) | 1);
    expect(st.mode & 0o7777).toBe(0o600);
  });

  it('padding: every name and data length from 0 to 8 bytes', async () => {
    const entries: CpioEntry[] = [];
    for (let n = 1; n <= 9; n++) {
      for (let d = 0; d <= 8; d++) {
        const name = `${'n'.repeat(n - 1)}${d}`; // names of 1..9 bytes (namesize 2..10)
        entries.push({ path: `p${n}/${name}`, kind: 'file', mode: 0o644, data: Buffer.from('abcdefgh'.slice(0, d)) });
      }
    }
    const sorted = sortCpioEntries(entries);
    const archive = join(dir, 'pad.cpio');
    await toFile(sorted, archive);
    const parsed = parseNewc(readFileSync(archive)); // checks alignment and zero padding
    expect(parsed.length).toBe(sorted.length + 1);
    const root = join(dir, 'pad.out');
    extract(archive, root);
    for (const e of entries) expect(readFileSync(join(root, e.path)).equals(e.data ?? Buffer.alloc(0)), e.path).toBe(true);
  });
});

describe('byte-level output', () => {
  it('numbers inodes from 1, sets nlink/mode/mtime/ids and ends with the trailer', async () => {
    const { entries } = sample();
    const withIds = entries.map((e) => (e.path === 'etc/hostname' ? { ...e, uid: 1000, gid: 100 } : e));
    const chardev: CpioEntry = { path: 'zz-console', kind: 'chardev', mode: 0o600, rdevMajor: 5, rdevMinor: 1 };
    const buf = await toBuffer([...withIds, chardev], { mtime: MTIME });
    const parsed = parseNewc(buf);
    const trailer = parsed.pop();
    expect(trailer).toMatchObject({ name: 'TRAILER!!!', ino: 0, mode: 0, nlink: 1, filesize: 0, namesize: 11 });
    expect(parsed.map((p) => p.name)).toEqual([...withIds, chardev].map((e) => e.path));
    parsed.forEach((p, i) => {
      const e = [...withIds, chardev][i];
      expect(p.ino).toBe(i + 1);
      const type = { dir: 0o040000, file: 0o100000, symlink: 0o120000, chardev: 0o020000 }[e?.kind ?? 'file'];
      expect(p.mode).toBe(type | (e?.mode ?? -1));
      expect(p.nlink).toBe(e?.kind === 'dir' ? 2 : 1);
      expect(p.mtime).toBe(MTIME);
      expect([p.devmajor, p.devminor, p.check]).toEqual([0, 0, 0]);
      expect([p.uid, p.gid]).toEqual(e?.path === 'etc/hostname' ? [1000, 100] : [0, 0]);
      if (e?.kind === 'symlink') expect(p.data.toString()).toBe(e.target);
      if (e?.kind === 'dir') expect(p.filesize).toBe(0);
    });
    expect(parsed.at(-1)).toMatchObject({ rdevmajor: 5, rdevminor: 1, filesize: 0 });
    expect(buf.length % 4).toBe(0);
  });

  it('is deterministic: the same entries give identical bytes', async () => {
    const { entries } = sample();
    const a = await toBuffer(entries);
    const b = await toBuffer(entries.map((e) => ({ ...e })));
    expect(a.equals(b)).toBe(true);
    expect(parseNewc(a).every((p) => p.mtime === 0)).toBe(true);
  });

  it('an empty entry list is just the trailer', async () => {
    const out = collector();
    expect(await writeCpio([], out)).toEqual({ bytes: 124, files: 0 });
    expect(parseNewc(out.result()).map((p) => p.name)).toEqual(['TRAILER!!!']);
  });

  it('honours backpressure from a slow output', async () => {
    const { entries } = sample();
    const slow = collector({ highWaterMark: 64, delayMs: 1 });
    await writeCpio(entries, slow);
    expect(slow.result().equals(await toBuffer(entries))).toBe(true);
  });

  it('rejects (does not hang) when the output fails', async () => {
    const { entries } = sample();
    const broken = new Writable({
      highWaterMark: 64,
      write(_chunk, _enc, cb) {
        setTimeout(() => cb(new Error('disk full')), 1);
      },
    });
    await expect(writeCpio(entries, broken)).rejects.toThrow(/disk full/);
  });
});

describe('streaming a large file', () => {
  it('streams 50 MB without RSS growing by 30 MB', { timeout: 60_000 }, async () => {
    const SIZE = 50 * 1024 * 1024 + 3; // odd size: exercises data padding too
    const src = join(dir, 'big.src');
    const fd = openSync(src, 'w');
    const hash = createHash('sha256');
    const chunk = Buffer.alloc(1024 * 1024);
    for (let written = 0, i = 0; written < SIZE; i++) {
      chunk.fill(i & 0xff);
      chunk.writeUInt32LE(i, 0);
      const part = chunk.subarray(0, Math.min(chunk.length, SIZE - written));
      writeSync(fd, part);
      hash.update(part);
      written += part.length;
    }
    closeSync(fd);
    const expected = hash.digest('hex');

    // Garbage 64 KiB read buffers pile up until V8 feels external-memory pressure (~30 MB on
    // Node 20), which would make a plain RSS delta flaky; so collect before each sample (the
    // trick jest uses for --detectLeaks) and measure what the writer actually retains.
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().rss;
    let peak = before;
    const sampleRss = (): void => {
      gc();
      peak = Math.max(peak, process.memoryUsage().rss);
    };
    const timer = setInterval(sampleRss, 25);
    // The output is slower than the input, so a writer that ignored backpressure would queue
    // most of the 50 MB inside the Writable.
    const archive = join(dir, 'big.cpio');
    const outFd = openSync(archive, 'w');
    const slowFile = new Writable({
      highWaterMark: 64 * 1024,
      write(chunk: Buffer, _enc, cb) {
        writeSync(outFd, chunk);
        setTimeout(cb, 1);
      },
      final(cb) {
        closeSync(outFd);
        cb();
      },
    });
    try {
      await writeCpio([{ path: 'big', kind: 'file', mode: 0o644, source: src, size: SIZE }], slowFile);
      slowFile.end();
      await finished(slowFile);
    } finally {
      clearInterval(timer);
    }
    sampleRss();
    expect(peak - before).toBeLessThan(30 * 1024 * 1024);

    const head = Buffer.alloc(512);
    const afd = openSync(archive, 'r');
    readSync(afd, head, 0, head.length, 0);
    closeSync(afd);
    expect(parseInt(head.toString('latin1', 54, 62), 16)).toBe(SIZE);
    const namesize = parseInt(head.toString('latin1', 94, 102), 16);
    expect(namesize).toBe(4); // 'big' + NUL
    const start = 116; // 110 + 4, padded to a multiple of 4
    const got = createHash('sha256');
    for await (const c of createReadStream(archive, { start, end: start + SIZE - 1 })) got.update(c as Buffer);
    expect(got.digest('hex')).toBe(expected);
    expect(statSync(archive).size).toBe(start + SIZE + 1 + 124); // 1 byte of padding, then the trailer
  });
});

describe('sortCpioEntries', () => {
  const paths = (es: CpioEntry[]): string[] => es.map((e) => e.path);
  const f = (path: string): CpioEntry => ({ path, kind: 'file', mode: 0o644 });

  it('adds missing parents and puts every directory before its contents', () => {
    const input = [f('usr/lib/x/libc.so.6'), f('bin/busybox'), { path: 'usr', kind: 'dir', mode: 0o700 } as CpioEntry, f('a-b'), f('a/c')];
    const sorted = sortCpioEntries(input);
    expect(paths(sorted)).toEqual(['a', 'a-b', 'a/c', 'bin', 'bin/busybox', 'usr', 'usr/lib', 'usr/lib/x', 'usr/lib/x/libc.so.6']);
    expect(sorted.find((e) => e.path === 'usr')?.mode).toBe(0o700); // given entries are kept
    expect(sorted.find((e) => e.path === 'usr/lib')).toEqual({ path: 'usr/lib', kind: 'dir', mode: 0o755 });
    expect(paths(input)).toEqual(['usr/lib/x/libc.so.6', 'bin/busybox', 'usr', 'a-b', 'a/c']); // input untouched
  });

  it('compares UTF-8 bytes, not locale or UTF-16 order', () => {
    const sorted = sortCpioEntries([f('b'), f('\u{1D11E}'), f('\uFFFD'), f('B'), f('é'), f('z')]);
    expect(paths(sorted)).toEqual(['B', 'b', 'z', 'é', '\uFFFD', '\u{1D11E}']);
  });

  it('rejects duplicates and non-directory parents', () => {
    expect(() => sortCpioEntries([f('a'), f('a')])).toThrow(/appears more than once/);
    expect(() => sortCpioEntries([{ path: 'lib', kind: 'symlink', mode: 0o777, target: 'usr/lib' }, f('lib/x')])).toThrow(
      /parent "lib" is a symlink/,
    );
    expect(() => sortCpioEntries([f('/abs')])).toThrow(CpioError);
  });
});

describe('rejections', () => {
  const src = (): string => {
    const p = join(dir, 'ten-bytes');
    writeFileSync(p, '0123456789');
    return p;
  };
  it.each<[string, () => CpioEntry, RegExp]>([
    ['absolute path', () => ({ path: '/bin/sh', kind: 'dir', mode: 0o755 }), /is absolute/],
    ['.. component', () => ({ path: 'a/../b', kind: 'dir', mode: 0o755 }), /'\.\.' component/],
    ['leading ..', () => ({ path: '../etc', kind: 'dir', mode: 0o755 }), /'\.\.' component/],
    ['. component', () => ({ path: './etc', kind: 'dir', mode: 0o755 }), /'\.' component/],
    ['empty path', () => ({ path: '', kind: 'dir', mode: 0o755 }), /empty path/],
    ['doubled slash', () => ({ path: 'a//b', kind: 'dir', mode: 0o755 }), /empty component/],
    ['trailing slash', () => ({ path: 'a/', kind: 'dir', mode: 0o755 }), /empty component/],
    ['NUL in name', () => ({ path: 'a\0b', kind: 'dir', mode: 0o755 }), /NUL/],
    ['too long', () => ({ path: 'x'.repeat(4096), kind: 'dir', mode: 0o755 }), /PATH_MAX/],
    ['type bits in mode', () => ({ path: 'a', kind: 'file', mode: 0o100644 }), /permission bits only/],
    ['negative uid', () => ({ path: 'a', kind: 'dir', mode: 0o755, uid: -1 }), /uid -1/],
    ['gid over 32 bits', () => ({ path: 'a', kind: 'dir', mode: 0o755, gid: 2 ** 32 }), /gid/],
    ['symlink without target', () => ({ path: 'a', kind: 'symlink', mode: 0o777 }), /needs a non-empty target/],
    ['source and data', () => ({ path: 'a', kind: 'file', mode: 0o644, source: src(), data: Buffer.from('x') }), /both source and data/],
    ['relative source', () => ({ path: 'a', kind: 'file', mode: 0o644, source: 'rel/file' }), /not an absolute path/],
    ['inline size mismatch', () => ({ path: 'a', kind: 'file', mode: 0o644, data: Buffer.from('xy'), size: 3 }), /size 3 but inline data is 2/],
    ['unknown kind', () => ({ path: 'a', kind: 'fifo', mode: 0o644 }) as unknown as CpioEntry, /unknown kind "fifo"/],
  ])('%s', async (_name, make, message) => {
    const out = collector();
    await expect(writeCpio([make()], out)).rejects.toThrow(message);
    expect(out.result().length).toBe(0); // validated before anything was written
  });

  it('duplicate paths', async () => {
    const out = collector();
    await expect(writeCpio([{ path: 'a', kind: 'dir', mode: 0o755 }, { path: 'a', kind: 'dir', mode: 0o755 }], out)).rejects.toThrow(
      /appears more than once/,
    );
  });

  it('source size on disk differs from size', async () => {
    const entry: CpioEntry = { path: 'a', kind: 'file', mode: 0o644, source: src(), size: 11 };
    await expect(writeCpio([entry], collector())).rejects.toThrow(/expected 11 bytes but .* has 10 on disk/);
  });

  it('source that is not a regular file, or missing', async () => {
    await expect(writeCpio([{ path: 'a', kind: 'file', mode: 0o644, source: dir }], collector())).rejects.toThrow(/not a regular file/);
    await expect(writeCpio([{ path: 'a', kind: 'file', mode: 0o644, source: join(dir, 'nope') }], collector())).rejects.toThrow(/ENOENT/);
  });

  it('bad mtime option', async () => {
    await expect(writeCpio([], collector(), { mtime: -5 })).rejects.toThrow(/mtime -5/);
  });
});
