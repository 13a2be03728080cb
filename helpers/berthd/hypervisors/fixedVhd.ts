// Pure writer of a fixed VHD (Microsoft's Virtual Hard Disk Image Format Specification): the disk's bytes
// as they are, then a 512-byte footer. Hyper-V attaches it as a SCSI disk: Berth's config disk there.

export const SECTOR = 512;
export const VHD_FOOTER_BYTES = 512;
const MiB = 1024 * 1024;
/** Larger data is not what this writer is for (the config disk is a few KiB): refused, not padded. */
export const FIXED_VHD_MAX_DATA = 1024 * MiB;
/** Seconds from the Unix epoch to the VHD epoch, 2000-01-01 00:00:00 UTC. */
const VHD_EPOCH_S = 946_684_800;

export type VhdGeometry = { cylinders: number; heads: number; sectorsPerTrack: number };

/** The spec's CHS algorithm ("CHS Calculation"): the geometry it gives a disk of `totalSectors`. */
export function vhdGeometry(totalSectors: number): VhdGeometry {
  const total = Math.min(totalSectors, 65535 * 16 * 255);
  let spt: number;
  let heads: number;
  let cth: number;
  if (total >= 65535 * 16 * 63) {
    spt = 255;
    heads = 16;
    cth = Math.floor(total / spt);
  } else {
    spt = 17;
    cth = Math.floor(total / spt);
    heads = Math.max(4, Math.floor((cth + 1023) / 1024));
    if (cth >= heads * 1024 || heads > 16) {
      spt = 31;
      heads = 16;
      cth = Math.floor(total / spt);
    }
    if (cth >= heads * 1024) {
      spt = 63;
      heads = 16;
      cth = Math.floor(total / spt);
    }
  }
  return { cylinders: Math.floor(cth / heads), heads, sectorsPerTrack: spt };
}

const chsSectors = (g: VhdGeometry): number => g.cylinders * g.heads * g.sectorsPerTrack;

/**
 * The disk size for `dataBytes`: a whole MiB (Azure requires it; Hyper-V creates disks so) whose CHS
 * geometry covers exactly that many sectors, so that readers sizing the disk by its geometry (Virtual PC,
 * QEMU before 10.0 for unknown creators) and those reading the footer's current size (Hyper-V) agree.
 * The smallest such size is 17 MiB.
 */
export function fixedVhdSize(dataBytes: number): number {
  if (!Number.isSafeInteger(dataBytes) || dataBytes < 0) throw new Error(`a VHD's data is a whole number of bytes, not ${dataBytes}`);
  if (dataBytes > FIXED_VHD_MAX_DATA) throw new Error(`${dataBytes} bytes is more than the ${FIXED_VHD_MAX_DATA / MiB} MiB a config VHD may hold`);
  for (let mib = Math.max(1, Math.ceil(dataBytes / MiB)); ; mib++) {
    const sectors = (mib * MiB) / SECTOR;
    if (chsSectors(vhdGeometry(sectors)) === sectors) return mib * MiB;
  }
}

/** The footer's checksum: the one's complement of the sum of its bytes, the checksum field read as zero. */
export function vhdChecksum(footer: Uint8Array): number {
  let sum = 0;
  footer.forEach((b, i) => {
    if (i < 64 || i >= 68) sum += b;
  });
  return ~sum >>> 0;
}

export type VhdFooterOptions = {
  /** The disk's size as the VM sees it: whole sectors. */
  sizeBytes: number;
  /** The disk's unique id, as 32 hex digits with or without dashes (crypto.randomUUID()). */
  uuid: string;
  /** The creation time written in the footer. */
  now: Date;
};

function uuidBytes(uuid: string): Buffer {
  const hex = uuid.replace(/-/g, '');
  if (!/^[0-9a-fA-F]{32}$/.test(hex)) throw new Error(`a VHD's unique id is 16 bytes as hex, not ${JSON.stringify(uuid)}`);
  return Buffer.from(hex, 'hex');
}

/** The 512-byte footer of a fixed disk of `sizeBytes` (big-endian fields, at the spec's offsets). */
export function vhdFooter(o: VhdFooterOptions): Buffer {
  if (!Number.isSafeInteger(o.sizeBytes) || o.sizeBytes <= 0 || o.sizeBytes % SECTOR !== 0) throw new Error(`a VHD's size is whole ${SECTOR}-byte sectors, not ${o.sizeBytes} bytes`);
  const seconds = Math.floor(o.now.getTime() / 1000) - VHD_EPOCH_S;
  if (!(seconds >= 0 && seconds <= 0xffffffff)) throw new Error(`a VHD's time stamp counts seconds from 2000-01-01 UTC; ${o.now.toISOString()} is out of its range`);
  const g = vhdGeometry(o.sizeBytes / SECTOR);
  const f = Buffer.alloc(VHD_FOOTER_BYTES);
  f.write('conectix', 0, 'ascii'); // cookie
  f.writeUInt32BE(0x00000002, 8); // features: none but the reserved bit, which is always set
  f.writeUInt32BE(0x00010000, 12); // file format version 1.0
  f.writeBigUInt64BE(0xffffffffffffffffn, 16); // data offset: a fixed disk has no further structure
  f.writeUInt32BE(seconds, 24);
  f.write('brth', 28, 'ascii'); // creator application: Berth
  f.writeUInt32BE(0x00010000, 32); // creator version 1.0
  f.write('Wi2k', 36, 'ascii'); // creator host OS: Windows
  f.writeBigUInt64BE(BigInt(o.sizeBytes), 40); // original size
  f.writeBigUInt64BE(BigInt(o.sizeBytes), 48); // current size
  f.writeUInt16BE(g.cylinders, 56);
  f.writeUInt8(g.heads, 58);
  f.writeUInt8(g.sectorsPerTrack, 59);
  f.writeUInt32BE(2, 60); // disk type: fixed
  uuidBytes(o.uuid).copy(f, 68);
  f.writeUInt8(0, 84); // saved state: no
  f.writeUInt32BE(vhdChecksum(f), 64);
  return f;
}

/** A fixed VHD holding `data` at its start: the data, zeros up to fixedVhdSize, the footer. */
export function fixedVhd(data: Uint8Array, o: Omit<VhdFooterOptions, 'sizeBytes'>): Buffer {
  const sizeBytes = fixedVhdSize(data.length);
  const out = Buffer.alloc(sizeBytes + VHD_FOOTER_BYTES);
  out.set(data, 0);
  vhdFooter({ ...o, sizeBytes }).copy(out, sizeBytes);
  return out;
}
