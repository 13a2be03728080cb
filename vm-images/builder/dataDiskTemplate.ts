// Owns: the formatted data-disk template shipped beside the kernel (data-disk.qcow2). The guest's own mke2fs
// options, run on the build host against a sparse raw file, then converted to qcow2: only metadata is stored.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runTool, ToolError } from './execFile.ts';

/** The template's file name beside kernel, initrd.img and manifest.json (berthd looks for it there). */
export const DATA_DISK_TEMPLATE = 'data-disk.qcow2';
/** Made at Berth's default disk size (DEFAULT_DISK in helpers/api/settings.ts): berthd copies it as it is
 *  for that size, grows it for a larger one (the guest grows the file system online), and formats in the
 *  guest for a smaller one. */
export const TEMPLATE_BYTES = 64 * 1024 ** 3;
/** s_mkfs_time / s_wtime / s_lastcheck of every template (E2FSPROGS_FAKE_TIME): the same inputs give the same
 *  bytes. A time in the past, so e2fsck never finds a superblock written in the future. */
export const TEMPLATE_TIME = 1_700_000_000;

/** The UUID and htree hash seed of the template: derived from what makes it, not random, so builds are
 *  reproducible. Every disk copied from one image shares them; the guest finds its disk by serial or
 *  address, never by UUID, and sees one data disk, so a shared UUID is harmless. */
export function templateIds(e2fsprogsVersion: string, sizeBytes: number): { uuid: string; hashSeed: string } {
  const id = (what: string): string => {
    const h = createHash('sha256').update(`berth-data ${what} ${e2fsprogsVersion} ${sizeBytes}`).digest();
    h[6] = (h[6]! & 0x0f) | 0x40; // RFC 4122 version 4 shape
    h[8] = (h[8]! & 0x3f) | 0x80;
    const x = h.subarray(0, 16).toString('hex');
    return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
  };
  return { uuid: id('uuid'), hashSeed: id('hash_seed') };
}

/**
 * mke2fs's argv for the template (pure). The file system is the one the guest's disk step makes
 * (rootfs/etc/berth/steps/disk: `-t ext4 -L berth-data`, nodiscard, the guest's mke2fs.conf); instead of
 * lazy inode-table and journal init it says the storage reads as zeros (a new sparse file does, and so do
 * a qcow2's unallocated clusters), so the groups are marked zeroed and the guest kernel's ext4lazyinit has
 * nothing to zero after the first mount.
 */
export function templateMke2fsArgs(raw: string, ids: { uuid: string; hashSeed: string }): string[] {
  return [
    'mke2fs', '-q', '-F', '-t', 'ext4', '-L', 'berth-data', '-U', ids.uuid,
    '-E', `lazy_itable_init=1,lazy_journal_init=1,nodiscard,assume_storage_prezeroed=1,hash_seed=${ids.hashSeed}`,
    raw,
  ];
}

/** The upstream version in a Debian version ("1.47.0-2+b2" → "1.47.0"), or in `mke2fs -V`'s first line. */
export function upstreamVersion(text: string): string | undefined {
  return /(?:^|\s)(?:\d+:)?(\d+\.\d+(?:\.\d+)?)/.exec(text)?.[1];
}

export type TemplateResult = { built: true; file: string; mke2fs: string } | { built: false; why: string };

/**
 * Build `outDir/data-disk.qcow2` with the host's mke2fs, which must be the guest's e2fsprogs version (same
 * defaults, same features), reading the guest's mke2fs.conf. When the host cannot (no e2fsprogs or qemu-img,
 * another version), nothing is built and the reason is returned: the guest then formats the disk itself.
 */
export async function buildDataDiskTemplate(o: { outDir: string; workDir: string; guestE2fsprogs: string; mke2fsConf: string; sizeBytes?: number }): Promise<TemplateResult> {
  const sizeBytes = o.sizeBytes ?? TEMPLATE_BYTES;
  const guest = upstreamVersion(o.guestE2fsprogs);
  const host = await hostMke2fsVersion();
  if (!host) return { built: false, why: 'mke2fs does not run on this host (apt-get install e2fsprogs)' };
  if (!guest || host !== guest) return { built: false, why: `the host's mke2fs is ${host}, the guest's e2fsprogs ${guest ?? o.guestE2fsprogs}: a template must come from the same version` };

  mkdirSync(o.workDir, { recursive: true });
  const raw = join(o.workDir, 'data-disk.raw');
  const out = join(o.outDir, DATA_DISK_TEMPLATE);
  try {
    writeFileSync(raw, '');
    truncateSync(raw, sizeBytes); // sparse: nothing is written but what mke2fs writes
    const env = { ...process.env, MKE2FS_CONFIG: o.mke2fsConf, E2FSPROGS_FAKE_TIME: String(TEMPLATE_TIME) };
    await runTool(templateMke2fsArgs(raw, templateIds(host, sizeBytes)), 'mke2fs could not format the template (e2fsprogs)', { env });
    await runTool(['e2fsck', '-f', '-n', raw], 'the template mke2fs made does not pass e2fsck', { env });
    await runTool(['qemu-img', 'convert', '-q', '-f', 'raw', '-O', 'qcow2', raw, `${out}.tmp`], 'apt-get install qemu-utils');
    renameSync(`${out}.tmp`, out);
    return { built: true, file: DATA_DISK_TEMPLATE, mke2fs: host };
  } catch (e) {
    rmSync(`${out}.tmp`, { force: true });
    if (e instanceof ToolError && e.stderr.includes('command not found')) return { built: false, why: e.message.split('\n').join('; ') };
    throw e;
  } finally {
    rmSync(raw, { force: true });
  }
}

/** The host mke2fs's upstream version (`mke2fs -V` prints it on stderr), or undefined when it does not run. */
function hostMke2fsVersion(): Promise<string | undefined> {
  return new Promise((resolve) => {
    execFile('mke2fs', ['-V'], { encoding: 'utf8' }, (err, stdout, stderr) => resolve(err ? undefined : upstreamVersion(`${stderr}\n${stdout}`.trim().split('\n')[0] ?? '')));
  });
}
