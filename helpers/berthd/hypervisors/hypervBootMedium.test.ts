// The pure plan of Hyper-V's boot medium: PE reading, where the UKI's sections go, the tools' argv, and
// when a built medium no longer fits the image.
import { describe, expect, it } from 'vitest';
import { espArgv, espSectors, hypervBootCmdline, isoArgv, mediumMismatch, objcopyArgv, osRelease, ukiLayout, type MediumManifest, type UkiPart } from './hypervBootMedium.ts';
import { readPeImage, sectionBytes } from './peImage.ts';

/** A minimal PE32+ EFI application: headers and the given sections (name, rva, size), data filled with their index. */
function pe(sections: [string, number, number][], o: { sizeOfImage?: number; sectionAlignment?: number } = {}): Buffer {
  const peAt = 0x40;
  const opt = peAt + 24;
  const table = opt + 240;
  let raw = 0x400;
  const b = Buffer.alloc(raw + sections.reduce((n, [, , size]) => n + Math.ceil(size / 0x200) * 0x200, 0));
  b.write('MZ', 0, 'latin1');
  b.writeUInt32LE(peAt, 0x3c);
  b.write('PE\0\0', peAt, 'latin1');
  b.writeUInt16LE(0x8664, peAt + 4);
  b.writeUInt16LE(sections.length, peAt + 6);
  b.writeUInt16LE(240, peAt + 20);
  b.writeUInt16LE(0x20b, opt);
  b.writeUInt32LE(o.sectionAlignment ?? 0x200, opt + 32);
  b.writeUInt32LE(0x200, opt + 36);
  b.writeUInt32LE(o.sizeOfImage ?? 0x19300, opt + 56);
  b.writeUInt16LE(10, opt + 68);
  sections.forEach(([name, rva, size], i) => {
    const s = table + i * 40;
    b.write(name, s, 'latin1');
    b.writeUInt32LE(size, s + 8);
    b.writeUInt32LE(rva, s + 12);
    const rawSize = Math.ceil(size / 0x200) * 0x200;
    b.writeUInt32LE(rawSize, s + 16);
    b.writeUInt32LE(raw, s + 20);
    b.fill(i + 1, raw, raw + size);
    raw += rawSize;
  });
  return b;
}

// systemd-boot-efi 252's linuxx64.efi.stub as objdump shows it (the last section ends at 0x19134).
const STUB = pe([['.text', 0x4000, 0xbff0], ['.reloc', 0x10000, 0xc], ['.data', 0x11000, 0x34b8], ['.sbat', 0x19000, 0xe2], ['.sdmagic', 0x19100, 0x34]]);
const parts = (k = 8_247_232, i = 58_637_875): UkiPart[] => [
  { name: '.osrel', file: '/w/os-release', bytes: 45 },
  { name: '.cmdline', file: '/w/cmdline', bytes: 133 },
  { name: '.linux', file: '/img/kernel', bytes: k },
  { name: '.initrd', file: '/img/initrd.img', bytes: i },
];

describe('readPeImage', () => {
  it('reads machine, subsystem, alignment, size and the section table; sectionBytes gives a section\'s data', () => {
    const b = STUB;
    const img = readPeImage(b);
    expect(img).toMatchObject({ machine: 0x8664, subsystem: 10, imageBase: 0n, sectionAlignment: 0x200, fileAlignment: 0x200, sizeOfImage: 0x19300 });
    expect(img.sections.map((s) => s.name)).toEqual(['.text', '.reloc', '.data', '.sbat', '.sdmagic']);
    expect([...sectionBytes(b, img.sections[1]!)]).toEqual(Array(0xc).fill(2));
  });
  it('refuses what is not a PE32+ image', () => {
    expect(() => readPeImage(Buffer.from('#!/bin/sh\n'))).toThrow(/no MZ header/);
    const b = Buffer.from(STUB);
    b.writeUInt16LE(0x10b, 0x40 + 24);
    expect(() => readPeImage(b)).toThrow(/not PE32\+/);
    expect(() => readPeImage(STUB.subarray(0, 0x100))).toThrow(/cut short/);
  });
});

describe('ukiLayout', () => {
  it('puts .osrel, .cmdline, .linux, .initrd after the stub, each on its own page, never overlapping', () => {
    const l = ukiLayout(readPeImage(STUB), parts());
    expect(l.map((p) => [p.name, `0x${p.vma.toString(16)}`])).toEqual([
      ['.osrel', '0x1a000'],
      ['.cmdline', '0x1b000'],
      ['.linux', '0x1c000'],
      ['.initrd', '0x7fa000'],
    ]);
    for (let i = 1; i < l.length; i++) expect(l[i]!.vma).toBeGreaterThanOrEqual(l[i - 1]!.vma + BigInt(l[i - 1]!.bytes));
  });
  it('refuses a stub that is already a UKI, parts out of order, and a UKI over 4 GiB', () => {
    expect(() => ukiLayout(readPeImage(pe([['.text', 0x1000, 0x10], ['.linux', 0x2000, 0x10]])), parts())).toThrow(/already has a \.linux/);
    expect(() => ukiLayout(readPeImage(STUB), parts().reverse())).toThrow(/in that order/);
    expect(() => ukiLayout(readPeImage(STUB), parts(8e6, 5e9))).toThrow(/4 GiB/);
  });
});

describe('the tools\' argv', () => {
  it('objcopy adds each part at its address; mtools and xorriso make the El Torito UEFI image', () => {
    const l = ukiLayout(readPeImage(STUB), parts());
    expect(objcopyArgv('/s/linuxx64.efi.stub', l, '/w/BOOTX64.EFI')).toEqual([
      'objcopy',
      '--add-section', '.osrel=/w/os-release', '--change-section-vma', '.osrel=0x1a000',
      '--add-section', '.cmdline=/w/cmdline', '--change-section-vma', '.cmdline=0x1b000',
      '--add-section', '.linux=/img/kernel', '--change-section-vma', '.linux=0x1c000',
      '--add-section', '.initrd=/img/initrd.img', '--change-section-vma', '.initrd=0x7fa000',
      '/s/linuxx64.efi.stub', '/w/BOOTX64.EFI',
    ]);
    expect(espSectors(66_969_953)).toBe(139_264); // 68 MiB: the UKI and 4 MiB for the FAT itself, whole MiB
    expect(espArgv('/w/iso/EFI/efiboot.img', '/w/BOOTX64.EFI', 139_264)).toEqual([
      ['mformat', '-i', '/w/iso/EFI/efiboot.img', '-C', '-T', '139264', '-N', '0xB5A7B007', '-v', 'BERTH_EFI', '::'],
      ['mmd', '-i', '/w/iso/EFI/efiboot.img', '::/EFI', '::/EFI/BOOT'],
      ['mcopy', '-i', '/w/iso/EFI/efiboot.img', '/w/BOOTX64.EFI', '::/EFI/BOOT/BOOTX64.EFI'],
    ]);
    expect(isoArgv('/w/iso', '/out/hyperv-boot.iso')).toEqual(['xorriso', '-as', 'mkisofs', '-quiet', '-o', '/out/hyperv-boot.iso', '-V', 'BERTH_HYPERV', '-R', '-J', '-e', 'EFI/efiboot.img', '-no-emul-boot', '/w/iso']);
  });
  it('the command line is the image\'s plus Hyper-V\'s link and data disk; os-release names the kernel', () => {
    expect(hypervBootCmdline('console=ttyS0 quiet')).toBe('console=ttyS0 quiet berth.link=hvsock:3047 berth.disk=scsi:0:0:1 berth.config=scsi:0:0:2');
    expect(osRelease('6.1.0-57-amd64')).toContain('PRETTY_NAME="Berth VM (Linux 6.1.0-57-amd64)"');
    expect(() => osRelease('6.1"\nX=y')).toThrow(/cannot hold/);
  });
});

describe('mediumMismatch', () => {
  const image = { cmdline: 'console=ttyS0 quiet', kernelVersion: '6.1.0-57-amd64', artifacts: { kernel: { sha256: 'k'.repeat(64) }, initrd: { sha256: 'i'.repeat(64) } } };
  const medium: MediumManifest = {
    iso: 'hyperv-boot.iso', bytes: 1, sha256: 's', kernelVersion: '6.1.0-57-amd64', cmdline: hypervBootCmdline(image.cmdline),
    image: { kernelSha256: 'k'.repeat(64), initrdSha256: 'i'.repeat(64) }, stub: { package: 'systemd-boot-efi', version: '252', sha256: 'x' },
  };
  it('matches the image it was built from', () => expect(mediumMismatch(medium, image)).toBeUndefined());
  it('says so when the image was rebuilt or the command line changed', () => {
    expect(mediumMismatch({ ...medium, image: { ...medium.image, initrdSha256: 'j'.repeat(64) } }, image)).toMatch(/another build of the VM image/);
    expect(mediumMismatch(medium, { ...image, cmdline: 'console=ttyS0' })).toMatch(/command line is/);
  });
});
