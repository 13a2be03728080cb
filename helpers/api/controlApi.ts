// The control API's requests, responses and events: every input berthd accepts is validated
// against these schemas, and every error has the same {code, message, hint} shape.
import { z } from 'zod';
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

/** Events on GET /v1/events (server-sent events; `event:` is the type, `data:` the JSON). */
export const apiEventSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('state'), vm: vmStateSchema }),
  z.object({ type: z.literal('log'), source: z.enum(['console', 'berthd']), line: z.string() }),
]);
export type ApiEvent = z.infer<typeof apiEventSchema>;

/** The routes: method, path, the body schema (for POST) and the response schema. */
export const routes = {
  status: { method: 'GET', path: '/v1/status', response: statusSchema },
  start: { method: 'POST', path: '/v1/start', body: startRequestSchema, response: statusSchema },
  stop: { method: 'POST', path: '/v1/stop', body: stopRequestSchema, response: stopResultSchema },
  restart: { method: 'POST', path: '/v1/restart', body: stopRequestSchema, response: statusSchema },
  shutdownDaemon: { method: 'POST', path: '/v1/daemon/shutdown', body: z.object({}).strict(), response: z.object({}) },
} as const;

export const MAX_REQUEST_BYTES = 64 * 1024;
