// The control API's requests, responses and events: every input berthd accepts is validated
// against these schemas, and every error has the same {code, message, hint} shape.
import { z } from 'zod';
import { doctorReportSchema, resetPlanSchema, resetRequestSchema, resetResultSchema } from './diagnostics.ts';
import {
  containerActionRequestSchema,
  containerInspectRequestSchema,
  containerListSchema,
  containerLogsRequestSchema,
  containerSummarySchema,
  dockerActionResultSchema,
  imageListSchema,
  imagePullRequestSchema,
  imageRemoveRequestSchema,
  imageSummarySchema,
  inspectResultSchema,
  logLineSchema,
  pullProgressSchema,
  vmStatsSchema,
  volumeListSchema,
  volumeRemoveRequestSchema,
  volumeSummarySchema,
} from './docker.ts';
import { portForwardSchema, portsResponseSchema } from './ports.ts';
import { settingsSchema } from './settings.ts';
import { statusSchema, vmStateSchema } from './vmState.ts';

export const apiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  hint: z.string(),
});
export type ApiError = z.infer<typeof apiErrorSchema>;

export const startRequestSchema = z.object({}).strict();
export const stopRequestSchema = z
  .object({
    /** Seconds to wait for the guest's clean shutdown before forcing the VM off. */
    timeoutSeconds: z.number().int().min(1).max(600).default(30),
  })
  .strict();
export type StopRequest = z.infer<typeof stopRequestSchema>;

export const stopResultSchema = z.object({
  graceful: z.boolean(),
  seconds: z.number(),
  message: z.string(),
});
export type StopResult = z.infer<typeof stopResultSchema>;

const limitSchema = z.object({ min: z.number(), max: z.number() });
export const settingsViewSchema = z.object({
  settings: settingsSchema,
  /** This host's limits for the resources (bytes for memory and disk). */
  limits: z.object({ cpus: limitSchema, memory: limitSchema, disk: limitSchema }),
  /** Changed settings the running VM does not use yet (a restart applies them). */
  restartPending: z.array(z.string()),
  readOnly: z.boolean(),
});
export type SettingsView = z.infer<typeof settingsViewSchema>;

export const settingsChangeRequestSchema = z
  .object({
    /** Top-level settings keys with their new values (objects such as ports or docker are merged one level). */
    change: z.record(z.string(), z.unknown()),
    /** Restart the VM now when a changed setting needs it (and the VM runs). */
    apply: z.boolean().default(false),
  })
  .strict();

export const settingsChangeResultSchema = z.object({
  settings: settingsSchema,
  changed: z.array(z.string()),
  /** The changed settings that only take effect when the VM restarts. */
  restartNeeded: z.array(z.string()),
  /** What happened: saved only, or saved and the VM restarted. */
  restarted: z.boolean(),
  message: z.string(),
});
export type SettingsChangeResult = z.infer<typeof settingsChangeResultSchema>;

export const diskReclaimResultSchema = z.object({
  /** Bytes the VM's disk file takes on the host before and after (allocated, not its virtual size). */
  beforeBytes: z.number(),
  afterBytes: z.number(),
  trimmedBytes: z.number(),
  message: z.string(),
});
export type DiskReclaimResult = z.infer<typeof diskReclaimResultSchema>;

export const logSources = ['berthd', 'console', 'docker', 'agent', 'containerd'] as const;
export const logTailRequestSchema = z.object({ source: z.enum(logSources), lines: z.number().int().min(1).max(10_000).default(500) }).strict();
export const logTailResultSchema = z.object({ source: z.enum(logSources), lines: z.array(z.string()), path: z.string() });

/** Events on GET /v1/events (server-sent events; `event:` is the type, `data:` the JSON). */
export const apiEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), vm: vmStateSchema }),
  z.object({ type: z.literal('log'), source: z.enum(['console', 'berthd']), line: z.string() }),
  z.object({ type: z.literal('ports'), forwards: z.array(portForwardSchema) }),
  /** The whole list again after any Docker event that changes it (sent while the VM runs, and on subscribe). */
  z.object({ type: z.literal('containers'), containers: z.array(containerSummarySchema) }),
  z.object({ type: z.literal('images'), images: z.array(imageSummarySchema) }),
  z.object({ type: z.literal('volumes'), volumes: z.array(volumeSummarySchema) }),
  /** The VM's CPU and memory in use, every few seconds while it runs. */
  z.object({ type: z.literal('stats'), stats: vmStatsSchema }),
]);
export type ApiEvent = z.infer<typeof apiEventSchema>;

/** The routes: method, path, the body schema (for POST) and the response schema. */
export const routes = {
  status: { method: 'GET', path: '/v1/status', response: statusSchema },
  start: { method: 'POST', path: '/v1/start', body: startRequestSchema, response: statusSchema },
  stop: { method: 'POST', path: '/v1/stop', body: stopRequestSchema, response: stopResultSchema },
  restart: { method: 'POST', path: '/v1/restart', body: stopRequestSchema, response: statusSchema },
  settingsGet: { method: 'GET', path: '/v1/settings', response: settingsViewSchema },
  settingsSet: { method: 'POST', path: '/v1/settings', body: settingsChangeRequestSchema, response: settingsChangeResultSchema },
  diskReclaim: { method: 'POST', path: '/v1/disk/reclaim', body: z.object({}).strict(), response: diskReclaimResultSchema },
  ports: { method: 'GET', path: '/v1/ports', response: portsResponseSchema },
  doctor: { method: 'GET', path: '/v1/doctor', response: doctorReportSchema },
  /** What a factory reset would delete, for the confirmation; nothing is deleted. */
  resetPlan: { method: 'POST', path: '/v1/reset/plan', body: resetRequestSchema, response: resetPlanSchema },
  /** Stop the VM, then delete its disk and Berth's runtime state (never anything outside $BERTH_HOME). */
  reset: { method: 'POST', path: '/v1/reset', body: resetRequestSchema, response: z.object({ plan: resetPlanSchema, result: resetResultSchema, stopped: z.string() }) },
  shutdownDaemon: { method: 'POST', path: '/v1/daemon/shutdown', body: z.object({}).strict(), response: z.object({}) },
  containers: { method: 'GET', path: '/v1/containers', response: containerListSchema },
  containerAction: { method: 'POST', path: '/v1/containers/action', body: containerActionRequestSchema, response: dockerActionResultSchema },
  containerInspect: { method: 'POST', path: '/v1/containers/inspect', body: containerInspectRequestSchema, response: inspectResultSchema },
  images: { method: 'GET', path: '/v1/images', response: imageListSchema },
  imageRemove: { method: 'POST', path: '/v1/images/remove', body: imageRemoveRequestSchema, response: dockerActionResultSchema },
  volumes: { method: 'GET', path: '/v1/volumes', response: volumeListSchema },
  volumeRemove: { method: 'POST', path: '/v1/volumes/remove', body: volumeRemoveRequestSchema, response: dockerActionResultSchema },
  /** The tail of one of berthd's logs, for the Troubleshoot screen. */
  logTail: { method: 'POST', path: '/v1/logs/tail', body: logTailRequestSchema, response: logTailResultSchema },
} as const;
export type RouteName = keyof typeof routes;

/**
 * Streamed calls: POST with a JSON body, answered as server-sent events — `event: item` with one
 * item (checked against `item`), then `event: end` (data `{}`) or `event: error` (data an ApiError).
 * Closing the connection cancels the call.
 */
export const streams = {
  containerLogs: { method: 'POST', path: '/v1/containers/logs', body: containerLogsRequestSchema, item: logLineSchema },
  imagePull: { method: 'POST', path: '/v1/images/pull', body: imagePullRequestSchema, item: pullProgressSchema },
} as const;
export type StreamName = keyof typeof streams;

export const MAX_REQUEST_BYTES = 64 * 1024;
