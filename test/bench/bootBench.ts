// Owns: the boot figures — `berth start` to Docker ready, cold (a new BERTH_HOME: berthd, a fresh disk)
// and warm (`berth stop` then `berth start` on the same disk), against the plain Debian VM cold (a
// never-booted copy of its disk) and warm (that disk booted again after a clean power-off); the phases of
// each from the console markers; and the image sizes. Repetitions alternate which side goes first.
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { builtImage, workDir } from '../image/imageVm.ts';
import { allocatedBytes, bootDebian, debianSizes, ensureDebianVm, freshDebianDisk } from './baseline/debianVm.ts';
import { benchBerth, type BootSample } from './benchBerth.ts';
import { REPS, type Comparison } from './benchReport.ts';
import type { Phases } from './bootTimeline.ts';
import { withVmLock } from './vmLock.ts';

const CPUS = 2;
const MEMORY_MIB = 2048;

type Side = 'berthCold' | 'berthWarm' | 'debianCold' | 'debianWarm';

export async function bootSection(): Promise<{ comparisons: Comparison[]; details: Record<string, unknown> }> {
  ensureDebianVm();
  const samples: Record<Side, BootSample[]> = { berthCold: [], berthWarm: [], debianCold: [], debianWarm: [] };
  const work = workDir('bench-boot');
  try {
    for (let rep = 0; rep < REPS; rep++) {
      await withVmLock(`boot rep ${rep + 1}`, async () => {
        const debianFirst = rep % 2 === 0;
        const disk = freshDebianDisk(join(work.dir, 'debian.qcow2'));
        const debian = async (kind: 'Cold' | 'Warm'): Promise<void> => {
          const boot = await bootDebian(work.dir, disk, { cpus: CPUS, memoryMiB: MEMORY_MIB, tag: `${rep}-${kind}` });
          samples[`debian${kind}`].push({ ms: boot.ms, phases: boot.phases, markers: boot.timeline.markers.filter((m) => m.uptimeS !== undefined).map((m) => ({ line: m.line.replace(/^.*(bench: )/, '$1').replace(/ \(uptime [\d.]+s\)\s*$/, ''), uptimeS: m.uptimeS! })) });
          const off = await boot.qemu.powerdown(120_000);
          if (!off.graceful) console.log('  the Debian VM did not power off within 120 s and was killed');
        };
        const b = benchBerth('bench-boot');
        try {
          // Never two VMs at once: each boot has both cores; Berth is stopped before Debian boots.
          const berthCold = async (): Promise<void> => {
            samples.berthCold.push(await b.timedStart());
            await b.stop();
          };
          const berthWarm = async (): Promise<void> => {
            samples.berthWarm.push(await b.timedStart());
            await b.stop();
          };
          const order = debianFirst ? [() => debian('Cold'), berthCold, () => debian('Warm'), berthWarm] : [berthCold, () => debian('Cold'), berthWarm, () => debian('Warm')];
          for (const step of order) await step();
        } finally {
          await b.cleanup();
          rmSync(disk, { force: true });
        }
        const last = (s: Side): string => `${(samples[s].at(-1)!.ms / 1000).toFixed(1)} s`;
        console.log(`  rep ${rep + 1}: Berth cold ${last('berthCold')} warm ${last('berthWarm')} | Debian cold ${last('debianCold')} warm ${last('debianWarm')}`);
      });
    }
  } finally {
    work.cleanup();
  }

  const secs = (s: Side): number[] => samples[s].map((x) => x.ms / 1000);
  const comparisons: Comparison[] = [
    { figure: 'boot to Docker ready, cold', unit: 's', berth: secs('berthCold'), baseline: secs('debianCold'), baselineName: 'plain Debian VM' },
    { figure: 'boot to Docker ready, warm', unit: 's', berth: secs('berthWarm'), baseline: secs('debianWarm'), baselineName: 'plain Debian VM' },
  ];
  const phaseKeys: (keyof Phases)[] = ['beforeQemuS', 'firmwareS', 'kernelS', 'initS', 'dockerS', 'hostS'];
  for (const kind of ['Cold', 'Warm'] as const) {
    for (const k of phaseKeys) {
      const pick = (s: Side): number[] => samples[s].map((x) => x.phases?.[k] ?? NaN);
      comparisons.push({ figure: `${kind.toLowerCase()} phase: ${k.replace(/S$/, '')}`, unit: 's', berth: pick(`berth${kind}`), baseline: pick(`debian${kind}`), baselineName: 'plain Debian VM' });
    }
  }
  const { manifest, kernel, initrd } = builtImage();
  const deb = debianSizes();
  const mb = (n: number): number => n / 1e6;
  const vmlinux = join(dirname(kernel), 'vmlinux');
  const booted = existsSync(vmlinux) ? vmlinux : kernel;
  const debianMB = mb(deb.kernelBytes + deb.initrdBytes + deb.diskAllocatedBytes);
  comparisons.push(
    { figure: `image: what QEMU loads (${existsSync(vmlinux) ? 'vmlinux' : 'bzImage'} + initrd) vs Debian's kernel + initrd + disk`, unit: 'MB', berth: [mb(allocatedBytes(booted) + allocatedBytes(initrd))], baseline: [debianMB], baselineName: 'plain Debian VM' },
    {
      figure: 'image: every file shipped (bzImage, vmlinux, initrd) vs Debian\'s kernel + initrd + disk',
      unit: 'MB',
      berth: [mb([kernel, initrd, ...(existsSync(vmlinux) ? [vmlinux] : [])].reduce((n, f) => n + allocatedBytes(f), 0))],
      baseline: [debianMB],
      baselineName: 'plain Debian VM',
      note: `initrd ${(manifest as { compression?: string }).compression ?? 'zstd'}; Debian's disk is ${deb.diskAllocatedBytes} allocated bytes of qcow2`,
    },
  );
  return {
    comparisons,
    details: {
      vm: { cpus: CPUS, memoryMiB: MEMORY_MIB },
      berthImage: { kernelVersion: manifest.kernelVersion, cmdline: manifest.cmdline, kernelBytes: manifest.artifacts.kernel.bytes, initrdBytes: manifest.artifacts.initrd.bytes, compression: (manifest as { compression?: string }).compression },
      debian: { ...ensureDebianVm().info, ...deb },
      phaseNote: 'beforeQemu: command to QEMU process start; firmware: QEMU start to guest clock zero (firmware, kernel load and decompression); kernel: to the first userspace marker; init: to Docker services starting (Berth: "boot steps done", Debian: docker.service ExecStartPre); docker: to dockerd answering in the guest; host: from there to the end of the measurement (Berth: berthd sees Docker through the link and serves the host socket)',
      samples,
    },
  };
}
