// Reads what the Hyper-V boot medium needs of a PE32+ image (an EFI program): machine, subsystem,
// alignments and the section table. Pure (a Buffer in, facts out); used to place a UKI's sections
// after systemd's EFI stub and to check the UKI that objcopy wrote.

export type PeSection = { name: string; virtualAddress: number; virtualSize: number; rawSize: number; rawOffset: number };
export type PeImage = { machine: number; subsystem: number; imageBase: bigint; sectionAlignment: number; fileAlignment: number; sizeOfImage: number; sections: PeSection[] };

export const PE_MACHINE_X64 = 0x8664;
export const PE_SUBSYSTEM_EFI_APPLICATION = 10;

export function readPeImage(b: Buffer): PeImage {
  const fail = (why: string): never => {
    throw new Error(`not an EFI program (PE32+): ${why}`);
  };
  if (b.length < 0x40 || b.toString('latin1', 0, 2) !== 'MZ') fail('no MZ header');
  const pe = b.readUInt32LE(0x3c);
  if (pe + 24 > b.length || b.toString('latin1', pe, pe + 4) !== 'PE\0\0') fail('no PE signature');
  const machine = b.readUInt16LE(pe + 4);
  const count = b.readUInt16LE(pe + 6);
  const optSize = b.readUInt16LE(pe + 20);
  const opt = pe + 24;
  if (opt + optSize > b.length || optSize < 112) fail('optional header cut short');
  if (b.readUInt16LE(opt) !== 0x20b) fail('not PE32+ (64-bit)');
  const image: PeImage = {
    machine,
    imageBase: b.readBigUInt64LE(opt + 24),
    sectionAlignment: b.readUInt32LE(opt + 32),
    fileAlignment: b.readUInt32LE(opt + 36),
    sizeOfImage: b.readUInt32LE(opt + 56),
    subsystem: b.readUInt16LE(opt + 68),
    sections: [],
  };
  const table = opt + optSize;
  if (table + count * 40 > b.length) fail('section table cut short');
  for (let i = 0; i < count; i++) {
    const s = table + i * 40;
    image.sections.push({
      name: b.toString('latin1', s, s + 8).replace(/\0+$/, ''),
      virtualSize: b.readUInt32LE(s + 8),
      virtualAddress: b.readUInt32LE(s + 12),
      rawSize: b.readUInt32LE(s + 16),
      rawOffset: b.readUInt32LE(s + 20),
    });
  }
  return image;
}

/** A section's bytes as stored in the file (at most its virtual size: the rest is file-alignment padding). */
export function sectionBytes(b: Buffer, s: PeSection): Buffer {
  return b.subarray(s.rawOffset, s.rawOffset + Math.min(s.rawSize, s.virtualSize || s.rawSize));
}
