// Owns: the boot figures — `berth start` to Docker ready, cold (a new BERTH_HOME: berthd, a fresh disk)
// and warm (`berth stop` then `berth start` on the same disk), against the plain Debian VM cold (a
// never-booted copy of its disk) and warm (that disk booted again after a clean power-off); the phases of
// each from the console markers. Repetitions alternate which side goes first.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { builtImage, workDir } from '../image/imageVm.ts';
import { bootDebian, ensureDebianVm, freshDebianDisk } from './baseline/debianVm.ts';
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
  return {
    comparisons,
    details: {
      vm: { cpus: CPUS, memoryMiB: MEMORY_MIB },
      berthImage: builtImage().manifest,
      debian: ensureDebianVm().info,
      phaseNote: 'beforeQemu: command to QEMU process start; firmware: QEMU start to guest clock zero (firmware, kernel load and decompression); kernel: to the first userspace marker; init: to Docker services starting (Berth: "boot steps done", Debian: docker.service ExecStartPre); docker: to dockerd answering in the guest; host: from there to the end of the measurement (Berth: berthd sees Docker through the link and serves the host socket)',
      samples,
    },
  };
}
