// Owns run/vm.json: what a berthd knows of the VM it runs (QEMU's pid, acceleration, start time), so
// that the next berthd after a crash re-adopts that VM instead of booting a second one (T-27).
import { readFileSync, rmSync } from 'node:fs';
import { z } from 'zod';
import { driverChoices } from '../../api/settings.ts';
import { accelInfoSchema } from '../../api/vmState.ts';
import { processAlive } from '../host/processLiveness.ts';
import { writeFileAtomic } from '../settings/atomicFileWrite.ts';

export const vmRecordSchema = z.object({
  pid: z.number().int().positive(),
  /** When the VM was started (ms since 1970): uptime survives a berthd restart. */
  startedAt: z.number(),
  accel: accelInfoSchema,
  dataDisk: z.string(),
  cpus: z.number().int(),
  memoryMiB: z.number().int(),
  /** The driver that started it; absent for QEMU (records written before drivers had names). */
  driver: z.enum(driverChoices).optional(),
});
export type VmRecord = z.infer<typeof vmRecordSchema>;

export function writeVmRecord(path: string, r: VmRecord): void {
  writeFileAtomic(path, `${JSON.stringify(r, null, 2)}\n`);
}

export function removeVmRecord(path: string): void {
  rmSync(path, { force: true });
}

export function readVmRecord(path: string): VmRecord | undefined {
  try {
    const parsed = vmRecordSchema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** The process's argv, or undefined when it is gone or not readable. */
function cmdlineOf(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return undefined;
  }
}

export type Adoptable = { kind: 'adopt'; record: VmRecord } | { kind: 'none'; why: string };

/**
 * Whether the VM of a record still runs and is ours: the pid is alive, is a qemu-system process,
 * and has Berth's data disk on its command line (a reused pid never passes). Linux /proc only;
 * elsewhere a record is trusted when the pid is alive.
 */
export function findAdoptable(path: string, dataDisk: string): Adoptable {
  const record = readVmRecord(path);
  if (!record) return { kind: 'none', why: 'no VM record' };
  if (record.dataDisk !== dataDisk) return { kind: 'none', why: `the record is for another disk (${record.dataDisk})` };
  if (!processAlive(record.pid)) return { kind: 'none', why: `QEMU pid ${record.pid} is gone` };
  if (process.platform === 'linux') {
    const argv = cmdlineOf(record.pid);
    if (!argv) return { kind: 'none', why: `QEMU pid ${record.pid} is gone` };
    const isQemu = /(^|\/)qemu-system-[\w-]+$/.test(argv[0] ?? '');
    if (!isQemu || !argv.some((a) => a.includes(dataDisk))) return { kind: 'none', why: `pid ${record.pid} is not Berth's QEMU any more` };
  }
  return { kind: 'adopt', record };
}
