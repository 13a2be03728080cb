// The VM's state as berthd reports it: the shapes of the lifecycle every client renders.
// Shared by berthd, the CLI, the Electron shell and the renderer (no Node, no DOM here).
import { z } from 'zod';

export const startPhases = ['checking host', 'preparing disk', 'booting', 'waiting for agent', 'waiting for docker'] as const;
export const startPhaseSchema = z.enum(startPhases);
export type StartPhase = z.infer<typeof startPhaseSchema>;

export const degradedReasonSchema = z.object({
  what: z.enum(['guest-link', 'docker', 'agent', 'port', 'clock', 'helper', 'guest-kernel']),
  message: z.string(),
});
export type DegradedReason = z.infer<typeof degradedReasonSchema>;

export const vmStateSchema = z.discriminatedUnion('state', [
  z.object({ state: z.literal('stopped'), lastExit: z.string().optional() }),
  z.object({ state: z.literal('starting'), phase: startPhaseSchema, progress: z.number().min(0).max(1), since: z.number() }),
  z.object({ state: z.literal('running'), degraded: z.array(degradedReasonSchema), since: z.number() }),
  z.object({ state: z.literal('stopping'), since: z.number() }),
  z.object({ state: z.literal('error'), reason: z.string(), hint: z.string(), lastLog: z.array(z.string()) }),
]);
export type VmState = z.infer<typeof vmStateSchema>;

export const accelInfoSchema = z.object({
  accel: z.enum(['kvm', 'hvf', 'whpx', 'tcg']),
  requested: z.enum(['auto', 'kvm', 'hvf', 'whpx', 'tcg']),
  why: z.string(),
});
export type AccelInfo = z.infer<typeof accelInfoSchema>;

/** How settings.json was found at the last load: `corrupt` means it was set aside and other values are used. */
export const settingsHealthSchema = z.object({
  path: z.string(),
  status: z.enum(['ok', 'missing', 'corrupt', 'future']),
  notes: z.array(z.string()),
  badFile: z.string().optional(),
});
export type SettingsHealth = z.infer<typeof settingsHealthSchema>;

/** The guest clock against the host's, from berthd's last check. */
export const clockStatusSchema = z.object({
  /** Guest minus host, in milliseconds, at the last check (before any correction). */
  driftMs: z.number(),
  checkedAt: z.number(),
  /** The last time berthd set the guest clock, and by how much it moved it. */
  lastCorrection: z.object({ at: z.number(), movedMs: z.number(), why: z.string() }).optional(),
});
export type ClockStatus = z.infer<typeof clockStatusSchema>;

export const statusSchema = z.object({
  state: z.enum(['stopped', 'starting', 'running', 'stopping', 'error']),
  vm: vmStateSchema,
  pid: z.number().int().optional(),
  accel: accelInfoSchema.optional(),
  uptimeSeconds: z.number().optional(),
  dockerVersion: z.string().optional(),
  dockerSocket: z.string(),
  dockerContext: z.string().optional(),
  berthdPid: z.number().int(),
  berthHome: z.string(),
  /** What the running VM was started with (settings may have changed since: see restartPending). */
  resources: z.object({ cpus: z.number().int(), memoryBytes: z.number(), diskBytes: z.number() }).optional(),
  /** Settings changed since the VM started that only apply after a restart. */
  restartPending: z.array(z.string()).optional(),
  /** Whether this berthd booted the VM or took it over from an earlier berthd. */
  adopted: z.boolean().optional(),
  settings: settingsHealthSchema,
  clock: clockStatusSchema.optional(),
  /** The host folders the running VM mounts (at the same paths), over which transport, and those it could not. */
  shares: z.object({ transport: z.enum(['9p', 'virtiofs']), why: z.string(), mounted: z.array(z.string()), problems: z.array(z.string()) }).optional(),
});
export type Status = z.infer<typeof statusSchema>;
