// Owns: reading ELF64 little-endian files (executables, shared objects, kernel modules):
// interpreter / DT_NEEDED / runpath / soname via program headers, sections by name, .modinfo.

/** Thrown for every malformed or unsupported input; the message names what was wrong. */
export class ElfFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ElfFormatError';
  }
}

export type ElfInfo = {
  type: 'exec' | 'dyn' | 'rel' | 'other';
  /** e_machine (62 = x86_64, 183 = aarch64); not validated here, the caller decides. */
  machine: number;
  /** PT_INTERP, without the trailing NUL. */
  interpreter?: string;
  /** DT_NEEDED entries, in file order. */
  needed: string[];
  /** DT_RUNPATH (or DT_RPATH if there is no DT_RUNPATH) split on ':', empty parts dropped; $ORIGIN kept raw. */
  runpath: string[];
  soname?: string;
};

export const EM_X86_64 = 62;

const EHDR_SIZE = 64;
const PHDR_SIZE = 56;
const SHDR_SIZE = 64;
const DYN_SIZE = 16;
const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const SHT_NULL = 0;
const SHT_NOBITS = 8;
const PN_XNUM = 0xffff;
const SHN_XINDEX = 0xffff;
const DT_NULL = 0n;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_STRSZ = 10n;
const DT_SONAME = 14n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

type Header = {
  type: number;
  machine: number;
  phoff: number;
  phentsize: number;
  phnum: number;
  shoff: number;
  shentsize: number;
  shnum: number;
  shstrndx: number;
};
type Phdr = { type: number; offset: number; vaddr: bigint; filesz: number };
type Shdr = { name: number; type: number; offset: number; size: number; link: number; info: number };

function fail(message: string): never {
  throw new ElfFormatError(message);
}

/** Asserts that [off, off+len) lies inside buf. */
function need(buf: Buffer, off: number, len: number, what: string): void {
  if (!Number.isSafeInteger(off) || !Number.isSafeInteger(len) || off < 0 || len < 0 || off + len > buf.length) {
    fail(`${what}: bytes ${off}..${off + len} lie outside the ${buf.length}-byte file`);
  }
}

function u16(buf: Buffer, off: number, what: string): number {
  need(buf, off, 2, what);
  return buf.readUInt16LE(off);
}

function u32(buf: Buffer, off: number, what: string): number {
  need(buf, off, 4, what);
  return buf.readUInt32LE(off);
}

function u64big(buf: Buffer, off: number, what: string): bigint {
  need(buf, off, 8, what);
  return buf.readBigUInt64LE(off);
}

function u64(buf: Buffer, off: number, what: string): number {
  return toSafe(u64big(buf, off, what), what);
}

function toSafe(v: bigint, what: string): number {
  if (v > MAX_SAFE) fail(`${what}: value 0x${v.toString(16)} is too large`);
  return Number(v);
}

/** NUL-terminated string starting at off inside region (which bounds the search). */
function cstring(region: Buffer, off: number, what: string): string {
  if (off < 0 || off >= region.length) fail(`${what}: string offset ${off} outside its ${region.length}-byte table`);
  const end = region.indexOf(0, off);
  if (end === -1) fail(`${what}: string at offset ${off} is not NUL-terminated`);
  return region.toString('utf8', off, end);
}

export function isElf(buf: Buffer): boolean {
  return buf.length >= 4 && buf[0] === 0x7f && buf[1] === 0x45 && buf[2] === 0x4c && buf[3] === 0x46;
}

function readHeader(buf: Buffer): Header {
  if (!isElf(buf)) fail(buf.length < 4 ? `truncated: ${buf.length} bytes, not even an ELF magic` : 'not an ELF file (bad magic)');
  if (buf.length < 16) fail(`truncated ELF identification: ${buf.length} bytes, need 16`);
  const cls = buf[4];
  if (cls === 1) fail('32-bit ELF (ELFCLASS32) is not supported, only ELF64');
  if (cls !== 2) fail(`invalid ELF class ${cls}`);
  const data = buf[5];
  if (data === 2) fail('big-endian ELF (ELFDATA2MSB) is not supported, only little-endian');
  if (data !== 1) fail(`invalid ELF data encoding ${data}`);
  if (buf[6] !== 1) fail(`unsupported ELF identification version ${buf[6]}`);
  if (buf.length < EHDR_SIZE) fail(`truncated ELF header: ${buf.length} bytes, need ${EHDR_SIZE}`);
  return {
    type: u16(buf, 16, 'e_type'),
    machine: u16(buf, 18, 'e_machine'),
    phoff: u64(buf, 32, 'e_phoff'),
    shoff: u64(buf, 40, 'e_shoff'),
    phentsize: u16(buf, 54, 'e_phentsize'),
    phnum: u16(buf, 56, 'e_phnum'),
    shentsize: u16(buf, 58, 'e_shentsize'),
    shnum: u16(buf, 60, 'e_shnum'),
    shstrndx: u16(buf, 62, 'e_shstrndx'),
  };
}

function readShdr(buf: Buffer, off: number, i: number): Shdr {
  const what = `section header ${i}`;
  return {
    name: u32(buf, off, `${what} sh_name`),
    type: u32(buf, off + 4, `${what} sh_type`),
    offset: u64(buf, off + 24, `${what} sh_offset`),
    size: u64(buf, off + 32, `${what} sh_size`),
    link: u32(buf, off + 40, `${what} sh_link`),
    info: u32(buf, off + 44, `${what} sh_info`),
  };
}

/** Section 0, which carries the real counts when they overflow the 16-bit header fields. */
function firstShdr(buf: Buffer, h: Header): Shdr | undefined {
  if (h.shoff === 0) return undefined;
  if (h.shentsize !== SHDR_SIZE) fail(`e_shentsize is ${h.shentsize}, expected ${SHDR_SIZE}`);
  return readShdr(buf, h.shoff, 0);
}

function sectionHeaders(buf: Buffer, h: Header): { shdrs: Shdr[]; shstrndx: number } {
  const first = firstShdr(buf, h);
  if (first === undefined) return { shdrs: [], shstrndx: 0 };
  const count = h.shnum === 0 ? first.size : h.shnum;
  const shstrndx = h.shstrndx === SHN_XINDEX ? first.link : h.shstrndx;
  need(buf, h.shoff, count * SHDR_SIZE, `section header table (${count} entries)`);
  const shdrs: Shdr[] = [];
  for (let i = 0; i < count; i++) shdrs.push(readShdr(buf, h.shoff + i * SHDR_SIZE, i));
  return { shdrs, shstrndx };
}

function programHeaders(buf: Buffer, h: Header): Phdr[] {
  let count = h.phnum;
  if (count === PN_XNUM) count = firstShdr(buf, h)?.info ?? fail('e_phnum is PN_XNUM but there is no section header 0');
  if (count === 0) return [];
  if (h.phentsize !== PHDR_SIZE) fail(`e_phentsize is ${h.phentsize}, expected ${PHDR_SIZE}`);
  need(buf, h.phoff, count * PHDR_SIZE, `program header table (${count} entries)`);
  const phdrs: Phdr[] = [];
  for (let i = 0; i < count; i++) {
    const off = h.phoff + i * PHDR_SIZE;
    const what = `program header ${i}`;
    phdrs.push({
      type: u32(buf, off, `${what} p_type`),
      offset: u64(buf, off + 8, `${what} p_offset`),
      vaddr: u64big(buf, off + 16, `${what} p_vaddr`),
      filesz: u64(buf, off + 32, `${what} p_filesz`),
    });
  }
  return phdrs;
}

/** The string table named by DT_STRTAB, found through the PT_LOAD segment that maps it. */
function dynamicStrtab(buf: Buffer, phdrs: Phdr[], addr: bigint, size: bigint | undefined): Buffer {
  const seg = phdrs.find((p) => p.type === PT_LOAD && p.vaddr <= addr && addr < p.vaddr + BigInt(p.filesz));
  if (seg === undefined) fail(`DT_STRTAB address 0x${addr.toString(16)} is not inside any PT_LOAD segment's file data`);
  const off = seg.offset + Number(addr - seg.vaddr);
  const len = size === undefined ? seg.offset + seg.filesz - off : toSafe(size, 'DT_STRSZ');
  need(buf, off, len, 'dynamic string table (DT_STRTAB/DT_STRSZ)');
  return buf.subarray(off, off + len);
}

export function readElfInfo(buf: Buffer): ElfInfo {
  const h = readHeader(buf);
  const phdrs = programHeaders(buf, h);
  const type = h.type === 2 ? 'exec' : h.type === 3 ? 'dyn' : h.type === 1 ? 'rel' : 'other';
  const info: ElfInfo = { type, machine: h.machine, needed: [], runpath: [] };

  const interp = phdrs.find((p) => p.type === PT_INTERP);
  if (interp !== undefined) {
    need(buf, interp.offset, interp.filesz, 'PT_INTERP segment');
    info.interpreter = cstring(buf.subarray(interp.offset, interp.offset + interp.filesz), 0, 'PT_INTERP');
  }

  const dyn = phdrs.find((p) => p.type === PT_DYNAMIC);
  if (dyn === undefined) return info;
  need(buf, dyn.offset, dyn.filesz, 'PT_DYNAMIC segment');
  const needed: bigint[] = [];
  const runpath: bigint[] = [];
  const rpath: bigint[] = [];
  let soname: bigint | undefined;
  let strtab: bigint | undefined;
  let strsz: bigint | undefined;
  const count = Math.floor(dyn.filesz / DYN_SIZE);
  for (let i = 0; i < count; i++) {
    const off = dyn.offset + i * DYN_SIZE;
    const tag = buf.readBigInt64LE(off);
    const val = buf.readBigUInt64LE(off + 8);
    if (tag === DT_NULL) break;
    if (tag === DT_NEEDED) needed.push(val);
    else if (tag === DT_RUNPATH) runpath.push(val);
    else if (tag === DT_RPATH) rpath.push(val);
    else if (tag === DT_SONAME) soname ??= val;
    else if (tag === DT_STRTAB) strtab ??= val;
    else if (tag === DT_STRSZ) strsz ??= val;
  }
  const paths = runpath.length > 0 ? runpath : rpath;
  if (needed.length === 0 && paths.length === 0 && soname === undefined) return info;
  if (strtab === undefined) fail('dynamic section uses strings (DT_NEEDED/DT_SONAME/DT_RUNPATH) but has no DT_STRTAB');
  const table = dynamicStrtab(buf, phdrs, strtab, strsz);
  const str = (v: bigint, what: string): string => {
    if (v >= BigInt(table.length)) fail(`${what}: string offset ${v} outside the ${table.length}-byte string table`);
    return cstring(table, Number(v), what);
  };
  info.needed = needed.map((v) => str(v, 'DT_NEEDED'));
  info.runpath = paths.flatMap((v) => str(v, 'DT_RUNPATH/DT_RPATH').split(':')).filter((p) => p !== '');
  if (soname !== undefined) info.soname = str(soname, 'DT_SONAME');
  return info;
}

/** The file bytes of the first section called `name` (a view into buf, empty for SHT_NOBITS), or undefined. */
export function readSection(buf: Buffer, name: string): Buffer | undefined {
  const h = readHeader(buf);
  const { shdrs, shstrndx } = sectionHeaders(buf, h);
  if (shdrs.length === 0 || shstrndx === 0) return undefined;
  const strSh = shdrs[shstrndx] ?? fail(`e_shstrndx ${shstrndx} is out of range (${shdrs.length} sections)`);
  const names = sectionData(buf, strSh, 'section name table (.shstrtab)');
  for (const sh of shdrs) {
    if (sh.type === SHT_NULL) continue;
    if (cstring(names, sh.name, 'section name') === name) return sectionData(buf, sh, `section ${name}`);
  }
  return undefined;
}

function sectionData(buf: Buffer, sh: Shdr, what: string): Buffer {
  if (sh.type === SHT_NOBITS) return Buffer.alloc(0);
  need(buf, sh.offset, sh.size, what);
  return buf.subarray(sh.offset, sh.offset + sh.size);
}

/**
 * All `key=value` strings of a kernel module's .modinfo section, values kept raw, one per
 * occurrence, in file order. Throws ElfFormatError if there is no .modinfo section.
 */
export function readModinfo(buf: Buffer): Record<string, string[]> {
  const sec = readSection(buf, '.modinfo');
  if (sec === undefined) fail('no .modinfo section (not a kernel module, or compressed?)');
  const out = Object.create(null) as Record<string, string[]>;
  let start = 0;
  while (start < sec.length) {
    let end = sec.indexOf(0, start);
    if (end === -1) end = sec.length;
    const eq = sec.indexOf(0x3d /* '=' */, start);
    if (eq > start && eq < end) {
      const key = sec.toString('utf8', start, eq);
      (out[key] ??= []).push(sec.toString('utf8', eq + 1, end));
    }
    start = end + 1;
  }
  return out;
}

/** Module names from every `depends=` entry, split on commas, empties dropped, first occurrence kept. */
export function moduleDepends(info: Record<string, string[]>): string[] {
  const names = (info['depends'] ?? []).flatMap((v) => v.split(',')).map((s) => s.trim());
  return [...new Set(names.filter((s) => s !== ''))];
}

/** `softdep=pre: a b post: c` entries (possibly several); tokens before any `pre:`/`post:` are ignored. */
export function moduleSoftdeps(info: Record<string, string[]>): { pre: string[]; post: string[] } {
  const result = { pre: [] as string[], post: [] as string[] };
  for (const value of info['softdep'] ?? []) {
    let list: string[] | undefined;
    for (const token of value.split(/\s+/)) {
      if (token === 'pre:') list = result.pre;
      else if (token === 'post:') list = result.post;
      else if (token !== '' && list !== undefined && !list.includes(token)) list.push(token);
    }
  }
  return result;
}
