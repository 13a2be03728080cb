// The VM's state as berthd reports it: the shapes of the lifecycle every client renders.
// Shared by berthd, the CLI, the Electron shell and the renderer (no Node, no DOM here).
import { z } from 'zod';

export const startPhases = ['checking host', 'preparing disk', 'booting', 'waiting for agent', 'waiting for docker'] as const;
export const startPhaseSchema = z.enum(startPhases);
export type StartPhase = z.infer<typeof startPhaseSchema>;

export const degradedReasonSchema = z.object({
  what: z.enum(['guest-link', 'docker', 'agent', 'port']),
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
});
export type Status = z.infer<typeof statusSchema>;
