// The shares section of the suite (BENCH_ONLY=shares npm run bench): one VM boot under TCG with the same
// host folder shared twice — 9p (as berthd mounts it) and virtiofs (when virtiofsd can run here) — plus
// the guest's own disk. A 256 MiB file (dd, conv=fsync; caches dropped in the guest and for the file on
// the host before reading) and a tree of 5,000 small files (create, stat, read, delete), each measured
// REPS times, targets alternating. BENCH_VARIANTS=all also measures 9p cache=loose and cache=none and
// virtiofs cache=auto.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { VirtiofsdProcess, virtiofsAvailable, type VirtiofsCache } from '../../helpers/berthd/hypervisors/virtiofsd.ts';
import type { VmShare } from '../../helpers/berthd/hypervisors/vmConfig.ts';
import type { GuestMount, VirtiofsdJob } from '../../helpers/berthd/vm/sharesPlan.ts';
import { builtImage, workDir } from '../image/imageVm.ts';
import { bootShareVm, type ShareVm } from '../shares/shareVm.ts';
import { median, REPS, type Comparison } from './benchReport.ts';
import { withVmLock } from './vmLock.ts';

const FILES = Number(process.env.BENCH_FILES ?? 5000);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 256);
const ALL = process.env.BENCH_VARIANTS === 'all';
const VFS_CACHE = (process.env.BENCH_VIRTIOFS_CACHE ?? 'none') as VirtiofsCache;

type Target = { name: string; guestDir: string; hostDir?: string; mountByHand?: string };
const OPS = ['bigWrite', 'bigRead', 'treeCreate', 'treeStat', 'treeRead', 'treeDelete'] as const;
type Op = (typeof OPS)[number];

const OP_LABEL: Record<Op, string> = { bigWrite: `${BIG_MIB} MiB write`, bigRead: `${BIG_MIB} MiB read`, treeCreate: `${FILES} files create`, treeStat: `${FILES} files stat`, treeRead: `${FILES} files read`, treeDelete: `${FILES} files delete` };

/** A figure of one target: MB/s for the big file, seconds for the tree. */
const asFigure = (op: Op, ms: number[]): number[] => (op.startsWith('big') ? ms.map((x) => (BIG_MIB * 1.048576) / (x / 1000)) : ms.map((x) => x / 1000));

export async function sharesSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  return withVmLock('the shares figures', measureShares);
}

async function measureShares(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  const { manifest } = builtImage();
  const work = workDir('bench-shares');
  const host = join(work.dir, 'shared');
  mkdirSync(host);
  const vfs = virtiofsAvailable();
  const qemu: VmShare[] = [{ tag: 'p9', hostPath: host, readOnly: false, transport: '9p' }];
  const guestMounts: GuestMount[] = [{ fstype: '9p', tag: 'p9', guestPath: '/bench/9p', readOnly: false }];
  const virtiofsd: VirtiofsdJob[] = [];
  const targets: Target[] = [
    { name: 'guest disk (ext4)', guestDir: '/var/lib/docker/bench' },
    { name: '9p cache=mmap', guestDir: '/bench/9p', hostDir: host },
  ];
  if (vfs.ok) {
    qemu.push({ tag: 'vfs', hostPath: host, readOnly: false, transport: 'virtiofs', socketPath: join(work.dir, 'vfs.sock') });
    virtiofsd.push({ tag: 'vfs', hostPath: host, socketPath: join(work.dir, 'vfs.sock') });
    guestMounts.push({ fstype: 'virtiofs', tag: 'vfs', guestPath: '/bench/virtiofs', readOnly: false });
    targets.push({ name: `virtiofs cache=${VFS_CACHE}`, guestDir: '/bench/virtiofs', hostDir: host });
  } else console.log(`virtiofs is not measured: ${vfs.reason}`);
  if (ALL) {
    for (const cache of ['loose', 'none']) {
      qemu.push({ tag: `p9${cache}`, hostPath: host, readOnly: false, transport: '9p' });
      targets.push({ name: `9p cache=${cache}`, guestDir: `/bench/9p-${cache}`, hostDir: host, mountByHand: `mkdir -p /bench/9p-${cache} && mount -t 9p -o trans=virtio,version=9p2000.L,msize=512000,cache=${cache},access=client,rw p9${cache} /bench/9p-${cache}` });
    }
  }
  // virtiofs cache=auto as a second daemon on the same folder (VirtiofsdGroup starts one cache mode for all: done here by hand).
  let autoVm: { stop: () => Promise<void> } | undefined;
  if (ALL && vfs.ok && VFS_CACHE !== 'auto') {
    const sock = join(work.dir, 'vfsauto.sock');
    const p = await VirtiofsdProcess.start({ socketPath: sock, sharedDir: host, cache: 'auto', logFile: join(work.dir, 'vfsauto.log') });
    autoVm = { stop: async () => void (await p.stop()) };
    qemu.push({ tag: 'vfsauto', hostPath: host, readOnly: false, transport: 'virtiofs', socketPath: sock });
    targets.push({ name: 'virtiofs cache=auto', guestDir: '/bench/virtiofs-auto', hostDir: host, mountByHand: 'mkdir -p /bench/virtiofs-auto && mount -t virtiofs vfsauto /bench/virtiofs-auto' });
  }

  let vm: ShareVm | undefined;
  const results: Record<string, Record<Op, number[]>> = {};
  let details: Record<string, unknown> | undefined;
  try {
    const t0 = performance.now();
    vm = await bootShareVm({ dir: work.dir, layout: { qemu, guestMounts, virtiofsd }, virtiofsCache: VFS_CACHE, name: 'berth-bench-shares' });
    await vm.vm.console.waitFor(/^berth: disk ready /, 300_000);
    console.log(`booted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const sh = async (script: string, timeoutMs = 300_000): Promise<string> => {
      let r;
      try {
        r = await vm!.sh(`set -e\n${script}`, {}, timeoutMs);
      } catch (e) {
        // A file-system operation that never returns leaves the guest idle and the link alive: ask the
        // kernel, on a second stream, which tasks are blocked and where.
        const blocked = await vm!.sh('echo w >/proc/sysrq-trigger; dmesg | tail -n 150', {}, 30_000).then((d) => d.out, (d: Error) => `(no answer: ${d.message})`);
        throw new Error(`guest script did not finish: ${script}\n${(e as Error).message}\nblocked tasks (sysrq w):\n${blocked}`, { cause: e });
      }
      if (r.code !== 0) throw new Error(`guest script failed (${r.code}): ${script}\n${r.err}`);
      return r.out;
    };
    for (const t of targets) {
      if (t.mountByHand) await sh(t.mountByHand);
      await sh(`mkdir -p ${t.guestDir}`);
    }
    const mounts = await sh('grep -E " /bench/| /var/lib/docker " /proc/mounts');
    console.log(mounts.trim());
    // What one exec round trip costs (subtracted from every figure).
    const empty: number[] = [];
    for (let i = 0; i < 5; i++) {
      const s = performance.now();
      await sh('true');
      empty.push(performance.now() - s);
    }
    const overheadMs = median(empty);

    const dropCaches = async (hostFile?: string): Promise<void> => {
      await sh('sync; echo 3 >/proc/sys/vm/drop_caches');
      // The host's page cache of the shared file (or of the qcow2 under the guest disk) too.
      const f = hostFile ?? join(vm!.vmDir, 'data.qcow2');
      try {
        execFileSync('dd', [`if=${f}`, 'iflag=nocache', 'count=0', 'status=none']);
      } catch {
        /* not there */
      }
    };
    const timed = async (script: string): Promise<number> => {
      const s = performance.now();
      await sh(script);
      return Math.max(0, performance.now() - s - overheadMs);
    };
    const tree = `n=0; while [ $n -lt ${FILES} ]; do d=$T/tree/d$((n / 100)); [ $((n % 100)) -ne 0 ] || mkdir -p $d; echo "small file $n" >$d/f$n; n=$((n + 1)); done`;
    for (let rep = 1; rep <= REPS; rep++) {
      for (const t of rep % 2 === 0 ? [...targets].reverse() : targets) {
        const r = (results[t.name] ??= { bigWrite: [], bigRead: [], treeCreate: [], treeStat: [], treeRead: [], treeDelete: [] });
        const T = `T=${t.guestDir}\n`;
        await sh(`${T}rm -rf $T/big $T/tree`);
        await dropCaches();
        r.bigWrite.push(await timed(`${T}dd if=/dev/zero of=$T/big bs=1M count=${BIG_MIB} conv=fsync 2>/dev/null`));
        await dropCaches(t.hostDir ? join(t.hostDir, 'big') : undefined);
        r.bigRead.push(await timed(`${T}dd if=$T/big of=/dev/null bs=1M 2>/dev/null`));
        await sh(`${T}rm -f $T/big`);
        r.treeCreate.push(await timed(`${T}${tree}`));
        await dropCaches();
        r.treeStat.push(await timed(`${T}ls -lR $T/tree >/dev/null`));
        await dropCaches();
        r.treeRead.push(await timed(`${T}find $T/tree -type f | xargs cat >/dev/null`));
        r.treeDelete.push(await timed(`${T}rm -rf $T/tree`));
        console.log(`rep ${rep} ${t.name}: ${OPS.map((o) => `${o}=${(r[o].at(-1)! / 1000).toFixed(2)}s`).join(' ')}`);
      }
    }

    details = { vm: { cpus: 2, memoryMiB: 2048, guestKernel: manifest.kernelVersion, mounts: mounts.trim().split('\n') }, execOverheadMs: overheadMs, files: FILES, bigMiB: BIG_MIB, virtiofsd: vfs.ok ? vfs.version : `not used: ${vfs.reason}`, hostFolderFs: execFileSync('df', ['--output=fstype', host], { encoding: 'utf8' }).split('\n')[1]!.trim(), note: 'wall time on the host around each guest command, less one exec round trip; guest caches and the host page cache of the file dropped before reads', samplesMs: results };
  } finally {
    await vm?.stop();
    await autoVm?.stop();
    work.cleanup();
  }
  const disk = targets[0]!.name;
  const p9 = targets[1]!.name;
  const comparisons: Comparison[] = [];
  for (const op of OPS) {
    const unit = op.startsWith('big') ? 'MB/s' : 's';
    for (const t of targets.slice(1)) {
      comparisons.push({ figure: `${OP_LABEL[op]}: ${t.name}`, unit, berth: asFigure(op, results[t.name]![op]), baseline: asFigure(op, results[disk]![op]), baselineName: disk });
    }
    for (const t of targets.slice(2)) {
      comparisons.push({ figure: `${OP_LABEL[op]}: ${t.name}`, unit, berth: asFigure(op, results[t.name]![op]), baseline: asFigure(op, results[p9]![op]), baselineName: p9 });
    }
  }
  return { comparisons, details: details ?? {} };
}
