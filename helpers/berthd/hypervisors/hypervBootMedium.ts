// Pure plan of Hyper-V's boot medium (docs/drivers.md): a unified kernel image — systemd's EFI stub with
// our os-release, command line, kernel and initrd added as sections — as \EFI\BOOT\BOOTX64.EFI on a FAT
// image that an ISO's El Torito catalogue names as its UEFI boot image. Argv only; the runner runs them.
import { driverCmdline } from './guestBootParams.ts';
import type { PeImage } from './peImage.ts';

/** The sections systemd-stub reads (systemd 252), in the order they are placed after the stub's own. */
export const UKI_SECTIONS = ['.osrel', '.cmdline', '.linux', '.initrd'] as const;
export type UkiSection = (typeof UKI_SECTIONS)[number];
export type UkiPart = { name: UkiSection; file: string; bytes: number };
export type UkiPlacement = UkiPart & { vma: bigint };

/** The debian package and file of the stub (Debian 12: systemd 252, no ukify yet: objcopy joins the parts). */
export const STUB_PACKAGE = 'systemd-boot-efi';
export const STUB_PATH = 'usr/lib/systemd/boot/efi/linuxx64.efi.stub';
/** The medium's file name beside the image (kernel, initrd.img, manifest.json): berthd attaches it from there. */
export const HYPERV_BOOT_ISO = 'hyperv-boot.iso';
/** Where the FAT image sits in the ISO, and its name there. */
export const ESP_IN_ISO = 'EFI/efiboot.img';
export const ISO_VOLUME_ID = 'BERTH_HYPERV';
/** The FAT's volume serial: fixed, so the same inputs give the same FAT image. */
const ESP_SERIAL = '0xB5A7B007';

const PAGE = 0x1000;
const alignUp = (n: number, a: number): number => Math.ceil(n / a) * a;

/** The command line baked into the UKI: the image's own plus Hyper-V's link and disk parameters. */
export function hypervBootCmdline(imageCmdline: string): string {
  return driverCmdline('hyperv', imageCmdline);
}

/** os-release for the .osrel section (systemd-stub and boot menus show PRETTY_NAME). */
export function osRelease(kernelVersion: string): string {
  if (!/^[\w.+~-]+$/.test(kernelVersion)) throw new Error(`kernel version ${JSON.stringify(kernelVersion)} has characters os-release cannot hold`);
  return `NAME="Berth"\nID=berth\nPRETTY_NAME="Berth VM (Linux ${kernelVersion})"\nVERSION_ID="${kernelVersion}"\n`;
}

/**
 * Virtual addresses for the added sections: after the stub's last section, each on its own page (the
 * stub's SectionAlignment divides a page), in UKI_SECTIONS order, never overlapping.
 */
export function ukiLayout(stub: PeImage, parts: UkiPart[]): UkiPlacement[] {
  const names = parts.map((p) => p.name);
  if (names.join() !== UKI_SECTIONS.join()) throw new Error(`a UKI needs the sections ${UKI_SECTIONS.join(', ')} in that order, not ${names.join(', ')}`);
  const clash = stub.sections.find((s) => (UKI_SECTIONS as readonly string[]).includes(s.name));
  if (clash) throw new Error(`the stub already has a ${clash.name} section: it is a UKI, not the bare stub`);
  const align = Math.max(PAGE, stub.sectionAlignment);
  if (align % stub.sectionAlignment !== 0) throw new Error(`the stub's SectionAlignment 0x${stub.sectionAlignment.toString(16)} does not divide a page`);
  let next = alignUp(Math.max(stub.sizeOfImage, ...stub.sections.map((s) => s.virtualAddress + s.virtualSize)), align);
  return parts.map((p) => {
    if (!Number.isSafeInteger(p.bytes) || p.bytes <= 0) throw new Error(`section ${p.name} is empty`);
    const vma = stub.imageBase + BigInt(next);
    next = alignUp(next + p.bytes, align);
    if (next > 0xffffffff) throw new Error('the UKI would be larger than 4 GiB, which PE cannot address');
    return { ...p, vma };
  });
}

/** objcopy: the stub plus the parts as sections at their addresses, written to `out`. */
export function objcopyArgv(stub: string, layout: UkiPlacement[], out: string): string[] {
  const a = ['objcopy'];
  for (const p of layout) a.push('--add-section', `${p.name}=${p.file}`, '--change-section-vma', `${p.name}=0x${p.vma.toString(16)}`);
  a.push(stub, out);
  return a;
}

/** 512-byte sectors of the FAT image: the UKI, 4 MiB for FAT tables and directories, in whole MiB. */
export function espSectors(ukiBytes: number): number {
  const mib = 1024 * 1024;
  return (alignUp(ukiBytes + 4 * mib, mib) / 512) | 0;
}

/** mtools (no root, no loop device): format the FAT image, make \EFI\BOOT, copy the UKI in as BOOTX64.EFI. */
export function espArgv(image: string, uki: string, sectors: number): string[][] {
  return [
    ['mformat', '-i', image, '-C', '-T', String(sectors), '-N', ESP_SERIAL, '-v', 'BERTH_EFI', '::'],
    ['mmd', '-i', image, '::/EFI', '::/EFI/BOOT'],
    ['mcopy', '-i', image, uki, '::/EFI/BOOT/BOOTX64.EFI'],
  ];
}

/**
 * xorriso: an ISO of `root` whose El Torito catalogue has one UEFI, no-emulation entry, the FAT image.
 * Over 65535 sectors xorriso records a load size of 0, which UEFI reads as "to the end of the medium"
 * (the FAT then says its own size).
 */
export function isoArgv(root: string, out: string): string[] {
  return ['xorriso', '-as', 'mkisofs', '-quiet', '-o', out, '-V', ISO_VOLUME_ID, '-R', '-J', '-e', ESP_IN_ISO, '-no-emul-boot', root];
}

/** What the image build says of the image (vm-images/out/<arch>/manifest.json), as far as the medium needs it. */
export type ImageManifest = { cmdline: string; kernelVersion: string; artifacts: Record<'kernel' | 'initrd', { sha256: string }> };

/** hyperv-boot.json, written beside the ISO: what it was built from. */
export type MediumManifest = {
  iso: string;
  bytes: number;
  sha256: string;
  cmdline: string;
  kernelVersion: string;
  image: { kernelSha256: string; initrdSha256: string };
  stub: { package: string; version: string; sha256: string };
};

export function mediumManifestPath(iso: string): string {
  return `${iso.replace(/\.iso$/, '')}.json`;
}

/**
 * Why the medium cannot boot this image as Berth means it (built from another kernel or initrd, or with
 * another command line than Hyper-V's for this image), or undefined when it matches.
 */
export function mediumMismatch(medium: MediumManifest, image: ImageManifest): string | undefined {
  if (medium.image.kernelSha256 !== image.artifacts.kernel.sha256 || medium.image.initrdSha256 !== image.artifacts.initrd.sha256) {
    return `the Hyper-V boot medium holds another build of the VM image (kernel ${medium.kernelVersion}, sha256 ${medium.image.kernelSha256.slice(0, 12)}…)`;
  }
  const want = hypervBootCmdline(image.cmdline);
  if (medium.cmdline !== want) return `the Hyper-V boot medium's command line is "${medium.cmdline}", not "${want}"`;
  return undefined;
}
