// Owns: test-only assembly of tiny synthetic ELF64 little-endian files (ET_REL kernel
// modules with named sections, ET_DYN/ET_EXEC images with PT_INTERP + PT_DYNAMIC).

const EHDR = 64;
const PHDR = 56;
const SHDR = 64;

export type TestSection = { name: string; data: Buffer; type?: number };

const align = (n: number, a: number): number => Math.ceil(n / a) * a;

function elfHeader(o: {
  type: number;
  phoff: number;
  phnum: number;
  shoff: number;
  shnum: number;
  shstrndx: number;
}): Buffer {
  const h = Buffer.alloc(EHDR);
  h.set([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1], 0); // magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT
  h.writeUInt16LE(o.type, 16);
  h.writeUInt16LE(62, 18); // EM_X86_64
  h.writeUInt32LE(1, 20);
  h.writeBigUInt64LE(BigInt(o.phoff), 32);
  h.writeBigUInt64LE(BigInt(o.shoff), 40);
  h.writeUInt16LE(EHDR, 52);
  h.writeUInt16LE(o.phnum > 0 ? PHDR : 0, 54);
  h.writeUInt16LE(o.phnum, 56);
  h.writeUInt16LE(o.shnum > 0 ? SHDR : 0, 58);
  h.writeUInt16LE(o.shnum, 60);
  h.writeUInt16LE(o.shstrndx, 62);
  return h;
}

/** An ET_REL file with a NULL section, the given sections (SHT_PROGBITS unless typed) and .shstrtab. */
export function buildRelElf(sections: TestSection[]): Buffer {
  const names: Buffer[] = [Buffer.from([0])];
  let namesLen = 1;
  const nameOff = (n: string): number => {
    const off = namesLen;
    const b = Buffer.from(`${n}\0`);
    names.push(b);
    namesLen += b.length;
    return off;
  };
  const all = [...sections.map((s) => ({ ...s, nameIdx: nameOff(s.name) }))];
  const shstrName = nameOff('.shstrtab');
  const shstrtab = Buffer.concat(names);
  all.push({ name: '.shstrtab', data: shstrtab, type: 3, nameIdx: shstrName });

  const chunks: Buffer[] = [];
  let pos = EHDR;
  const placed: { nameIdx: number; type: number; offset: number; size: number }[] = [];
  for (const s of all) {
    const start = align(pos, 8);
    if (start > pos) chunks.push(Buffer.alloc(start - pos));
    chunks.push(s.data);
    placed.push({ nameIdx: s.nameIdx, type: s.type ?? 1, offset: start, size: s.data.length });
    pos = start + s.data.length;
  }
  const shoff = align(pos, 8);
  if (shoff > pos) chunks.push(Buffer.alloc(shoff - pos));
  const shdrs = Buffer.alloc(SHDR * (placed.length + 1)); // entry 0 stays SHT_NULL
  placed.forEach((p, i) => {
    const o = SHDR * (i + 1);
    shdrs.writeUInt32LE(p.nameIdx, o);
    shdrs.writeUInt32LE(p.type, o + 4);
    shdrs.writeBigUInt64LE(BigInt(p.offset), o + 24);
    shdrs.writeBigUInt64LE(BigInt(p.size), o + 32);
    shdrs.writeBigUInt64LE(1n, o + 48);
  });
  const header = elfHeader({ type: 1, phoff: 0, phnum: 0, shoff, shnum: placed.length + 1, shstrndx: placed.length });
  return Buffer.concat([header, ...chunks, shdrs]);
}

/** A kernel-module-like ET_REL with a .text and a .modinfo holding the given `key=value` strings. */
export function buildModule(modinfo: string[]): Buffer {
  return buildRelElf([
    { name: '.text', data: Buffer.from([0xc3]) },
    { name: '.modinfo', data: Buffer.from(modinfo.map((s) => `${s}\0`).join('')) },
    { name: '.bss', data: Buffer.alloc(0), type: 8 },
  ]);
}

export type DynElfOptions = {
  type?: 'exec' | 'dyn';
  interp?: string;
  needed?: string[];
  runpath?: string;
  rpath?: string;
  soname?: string;
  /** Virtual address at which the single PT_LOAD maps file offset 0. */
  base?: bigint;
  /** Leave out DT_STRSZ. */
  noStrsz?: boolean;
};

/** An image with no section headers: PT_LOAD (whole file), optional PT_INTERP, PT_DYNAMIC. */
export function buildDynElf(o: DynElfOptions): Buffer {
  const base = o.base ?? 0x400000n;
  const phnum = o.interp === undefined ? 2 : 3;
  let pos = EHDR + phnum * PHDR;
  const interp = o.interp === undefined ? undefined : Buffer.from(`${o.interp}\0`);
  const interpOff = pos;
  pos += interp?.length ?? 0;

  const strs: Buffer[] = [Buffer.from([0])];
  let strLen = 1;
  const str = (s: string): bigint => {
    const off = strLen;
    const b = Buffer.from(`${s}\0`);
    strs.push(b);
    strLen += b.length;
    return BigInt(off);
  };
  const dyn: [bigint, bigint][] = [];
  for (const n of o.needed ?? []) dyn.push([1n, str(n)]);
  if (o.soname !== undefined) dyn.push([14n, str(o.soname)]);
  if (o.rpath !== undefined) dyn.push([15n, str(o.rpath)]);
  if (o.runpath !== undefined) dyn.push([29n, str(o.runpath)]);
  const strtab = Buffer.concat(strs);
  const strOff = pos;
  pos += strtab.length;
  const dynOff = align(pos, 8);
  dyn.push([5n, base + BigInt(strOff)]);
  if (o.noStrsz !== true) dyn.push([10n, BigInt(strtab.length)]);
  dyn.push([0n, 0n]);
  const dynBuf = Buffer.alloc(dyn.length * 16);
  dyn.forEach(([tag, val], i) => {
    dynBuf.writeBigInt64LE(tag, i * 16);
    dynBuf.writeBigUInt64LE(val, i * 16 + 8);
  });
  const total = dynOff + dynBuf.length;

  const phdrs = Buffer.alloc(phnum * PHDR);
  const ph = (i: number, type: number, offset: number, size: number): void => {
    const p = i * PHDR;
    phdrs.writeUInt32LE(type, p);
    phdrs.writeUInt32LE(4, p + 4);
    phdrs.writeBigUInt64LE(BigInt(offset), p + 8);
    phdrs.writeBigUInt64LE(base + BigInt(offset), p + 16);
    phdrs.writeBigUInt64LE(base + BigInt(offset), p + 24);
    phdrs.writeBigUInt64LE(BigInt(size), p + 32);
    phdrs.writeBigUInt64LE(BigInt(size), p + 40);
    phdrs.writeBigUInt64LE(8n, p + 48);
  };
  const first = interp === undefined ? 0 : 1;
  if (interp !== undefined) ph(0, 3, interpOff, interp.length);
  ph(first, 1, 0, total);
  ph(first + 1, 2, dynOff, dynBuf.length);

  const header = elfHeader({ type: o.type === 'exec' ? 2 : 3, phoff: EHDR, phnum, shoff: 0, shnum: 0, shstrndx: 0 });
  return Buffer.concat([
    header,
    phdrs,
    interp ?? Buffer.alloc(0),
    strtab,
    Buffer.alloc(dynOff - (strOff + strtab.length)),
    dynBuf,
  ]);
}
