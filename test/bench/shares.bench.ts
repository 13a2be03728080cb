// Benchmark of shared folders (npm run bench:shares; not part of npm test): one VM boot under TCG
// with the same host folder shared twice — 9p (as berthd mounts it) and virtiofs (when virtiofsd can
// run here) — plus the guest's own disk. A 256 MiB file (dd, conv=fsync; caches dropped in the guest
// and for the file on the host before reading) and a tree of 5,000 small files (create, stat, read,
// delete), each measured BENCH_REPS times (5), targets alternating; medians printed as a table and
// written with the machine's description to test/bench/results/<date>-shares.json.
// BENCH_VARIANTS=all also measures 9p cache=loose and cache=none and virtiofs cache=auto.
import { execFileSync } from 'node:child_process';
import { cpus, totalmem, release } from 'node:os';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { VirtiofsdProcess, virtiofsAvailable, type VirtiofsCache } from '../../helpers/berthd/hypervisors/virtiofsd.ts';
import type { VmShare } from '../../helpers/berthd/hypervisors/vmConfig.ts';
import type { GuestMount, VirtiofsdJob } from '../../helpers/berthd/vm/sharesPlan.ts';
import { builtImage, repoRoot, workDir } from '../image/imageVm.ts';
import { bootShareVm, type ShareVm } from '../shares/shareVm.ts';

const REPS = Number(process.env.BENCH_REPS ?? 5);
const FILES = Number(process.env.BENCH_FILES ?? 5000);
const BIG_MIB = Number(process.env.BENCH_BIG_MIB ?? 256);
const ALL = process.env.BENCH_VARIANTS === 'all';
const VFS_CACHE = (process.env.BENCH_VIRTIOFS_CACHE ?? 'none') as VirtiofsCache;

type Target = { name: string; guestDir: string; hostDir?: string; mountByHand?: string };
const OPS = ['bigWrite', 'bigRead', 'treeCreate', 'treeStat', 'treeRead', 'treeDelete'] as const;
type Op = (typeof OPS)[number];

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

async function main(): Promise<void> {
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
  try {
    const t0 = performance.now();
    vm = await bootShareVm({ dir: work.dir, layout: { qemu, guestMounts, virtiofsd }, virtiofsCache: VFS_CACHE, name: 'berth-bench-shares' });
    await vm.vm.console.waitFor(/^berth: disk ready /, 300_000);
    console.log(`booted in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
    const sh = async (script: string, timeoutMs = 900_000): Promise<string> => {
      const r = await vm!.sh(`set -e\n${script}`, {}, timeoutMs);
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
      for (const t of targets) {
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

    const rows = targets.map((t) => {
      const r = results[t.name]!;
      const m = Object.fromEntries(OPS.map((o) => [o, median(r[o])])) as Record<Op, number>;
      return {
        target: t.name,
        bigWriteMBps: (BIG_MIB * 1.048576) / (m.bigWrite / 1000),
        bigReadMBps: (BIG_MIB * 1.048576) / (m.bigRead / 1000),
        treeCreateS: m.treeCreate / 1000,
        treeStatS: m.treeStat / 1000,
        treeReadS: m.treeRead / 1000,
        treeDeleteS: m.treeDelete / 1000,
      };
    });
    const table = [
      `| target | ${BIG_MIB} MiB write MB/s | ${BIG_MIB} MiB read MB/s | ${FILES} files create s | stat s | read s | delete s |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map((r) => `| ${r.target} | ${r.bigWriteMBps.toFixed(1)} | ${r.bigReadMBps.toFixed(1)} | ${r.treeCreateS.toFixed(2)} | ${r.treeStatS.toFixed(2)} | ${r.treeReadS.toFixed(2)} | ${r.treeDeleteS.toFixed(2)} |`),
    ].join('\n');
    console.log(`\nmedians of ${REPS} (exec overhead ${overheadMs.toFixed(0)} ms subtracted):\n${table}`);

    const version = (cmd: string, args: string[]): string => {
      try {
        return execFileSync(cmd, args, { encoding: 'utf8' }).split('\n')[0]!.trim();
      } catch {
        return 'unknown';
      }
    };
    const date = new Date().toISOString().slice(0, 10);
    const outDir = join(repoRoot, 'test', 'bench', 'results');
    mkdirSync(outDir, { recursive: true });
    const out = join(outDir, `${date}-shares.json`);
    writeFileSync(
      out,
      `${JSON.stringify(
        {
          date: new Date().toISOString(),
          machine: {
            cores: cpus().length,
            cpuModel: cpus()[0]?.model,
            memoryBytes: totalmem(),
            hostKernel: release(),
            hostFolderFs: execFileSync('df', ['--output=fstype', host], { encoding: 'utf8' }).split('\n')[1]!.trim(),
            accel: 'tcg',
            qemu: version('qemu-system-x86_64', ['--version']),
            virtiofsd: vfs.ok ? vfs.version : `not used: ${vfs.reason}`,
            runAsUid: process.getuid?.(),
          },
          vm: { cpus: 2, memoryMiB: 2048, guestKernel: manifest.kernelVersion, mounts: mounts.trim().split('\n') },
          method: { reps: REPS, files: FILES, bigMiB: BIG_MIB, execOverheadMs: overheadMs, note: 'wall time on the host around each guest command, less one exec round trip; guest caches and the host page cache of the file dropped before reads' },
          medians: rows,
          samplesMs: results,
        },
        null,
        2,
      )}\n`,
    );
    console.log(`written ${out}`);
  } finally {
    await vm?.stop();
    await autoVm?.stop();
    work.cleanup();
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
