// Owns: the shapes of `berth doctor` (one check per host fact, a report that is ok without a `fail`) and
// of the factory reset (the plan a user confirms, the result). zod only: the CLI and the UI share it.
import { z } from 'zod';

export const doctorStatuses = ['ok', 'warn', 'fail'] as const;
export const doctorStatusSchema = z.enum(doctorStatuses);
export type DoctorStatus = z.infer<typeof doctorStatusSchema>;

export const doctorCheckSchema = z.object({
  /** Stable, for scripts and the UI: 'qemu', 'accel', 'docker-socket', ... */
  id: z.string(),
  title: z.string(),
  status: doctorStatusSchema,
  /** What was found, with the numbers. */
  detail: z.string(),
  /** What to do about a warn or a fail; absent when there is nothing to do. */
  fix: z.string().optional(),
});
export type DoctorCheck = z.infer<typeof doctorCheckSchema>;

export const doctorReportSchema = z.object({
  checks: z.array(doctorCheckSchema),
  /** No check failed (warnings allowed). */
  ok: z.boolean(),
});
export type DoctorReport = z.infer<typeof doctorReportSchema>;

/** The report for a list of checks: ok unless one of them failed. */
export function doctorReport(checks: DoctorCheck[]): DoctorReport {
  return { checks, ok: !checks.some((c) => c.status === 'fail') };
}

/** The worse of two statuses (fail > warn > ok). */
export function worseStatus(a: DoctorStatus, b: DoctorStatus): DoctorStatus {
  return doctorStatuses.indexOf(a) >= doctorStatuses.indexOf(b) ? a : b;
}

// ---- factory reset (T-22) ----

export const resetRequestSchema = z
  .object({
    /** Also delete settings.json and its companions (.last-good, .bad-*, .v*.bak, .tmp-*). */
    includeSettings: z.boolean().default(false),
  })
  .strict();
export type ResetRequest = z.infer<typeof resetRequestSchema>;

export const resetItemSchema = z.object({
  /** Absolute, always inside $BERTH_HOME (sockets also in Berth's own short socket folder). */
  path: z.string(),
  /** What it is, in words: "the VM's disk: images, containers and volumes". */
  what: z.string(),
  /** Space freed: allocated blocks, 0 for a symbolic link. */
  bytes: z.number().int().min(0),
  /** The type seen when planning; a path whose type changed since is not deleted. */
  kind: z.enum(['file', 'symlink', 'socket']),
});
export type ResetItem = z.infer<typeof resetItemSchema>;

export const resetPlanSchema = z.object({
  home: z.string(),
  includeSettings: z.boolean(),
  items: z.array(resetItemSchema),
  totalBytes: z.number().int().min(0),
});
export type ResetPlan = z.infer<typeof resetPlanSchema>;

export const resetResultSchema = z.object({
  deleted: z.array(z.object({ path: z.string(), bytes: z.number().int().min(0) })),
  /** Things deliberately left, each with why: settings.json, the lock file, a path that changed since the plan. */
  kept: z.array(z.string()),
});
export type ResetResult = z.infer<typeof resetResultSchema>;
