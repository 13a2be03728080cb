// Owns: the shapes of Docker's containers, images and volumes as berthd hands them to the UI, the
// requests that act on them, and the items of the two streamed calls (container logs, image pull).
import { z } from 'zod';

export const containerStateSchema = z.enum(['created', 'running', 'paused', 'restarting', 'removing', 'exited', 'dead']);

export const containerPortSchema = z.object({
  privatePort: z.number().int(),
  /** The host port Docker published it on (berthd forwards it to the host's localhost). */
  publicPort: z.number().int().optional(),
  type: z.enum(['tcp', 'udp', 'sctp']),
  ip: z.string().optional(),
});

export const containerSummarySchema = z.object({
  id: z.string(),
  /** Without Docker's leading slash. */
  name: z.string(),
  image: z.string(),
  command: z.string(),
  state: containerStateSchema,
  /** Docker's own words: "Up 3 minutes", "Exited (0) 2 seconds ago". */
  status: z.string(),
  /** Unix seconds. */
  created: z.number(),
  ports: z.array(containerPortSchema),
});
export type ContainerSummary = z.infer<typeof containerSummarySchema>;

export const imageSummarySchema = z.object({
  id: z.string(),
  /** repo:tag names; empty for a dangling image. */
  tags: z.array(z.string()),
  size: z.number(),
  created: z.number(),
  /** Containers using it (Docker reports -1 when it did not count). */
  containers: z.number().int(),
});
export type ImageSummary = z.infer<typeof imageSummarySchema>;

export const volumeSummarySchema = z.object({
  name: z.string(),
  driver: z.string(),
  mountpoint: z.string(),
  /** Bytes, or -1 when Docker did not say (sizes come from `system df`). */
  size: z.number(),
  /** Containers using it, or -1 when unknown. */
  refCount: z.number().int(),
  created: z.string().optional(),
});
export type VolumeSummary = z.infer<typeof volumeSummarySchema>;

/** A container id or name as Docker accepts it: no path tricks reach Docker's URL. */
export const containerRefSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/, 'a container id or name');
/** An image id (sha256:…) or reference (registry/repo:tag@digest). */
export const imageRefSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.:/@+-]{0,511}$/, 'an image id or reference');
export const volumeNameSchema = z.string().regex(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,254}$/, 'a volume name');

export const containerActionRequestSchema = z
  .object({ id: containerRefSchema, action: z.enum(['start', 'stop', 'restart', 'remove', 'pause', 'unpause', 'kill']), force: z.boolean().default(false) })
  .strict();
export const containerInspectRequestSchema = z.object({ id: containerRefSchema }).strict();
export const imageRemoveRequestSchema = z.object({ id: imageRefSchema, force: z.boolean().default(false) }).strict();
export const volumeRemoveRequestSchema = z.object({ name: volumeNameSchema, force: z.boolean().default(false) }).strict();

export const containerListSchema = z.object({ containers: z.array(containerSummarySchema) });
export const imageListSchema = z.object({ images: z.array(imageSummarySchema) });
export const volumeListSchema = z.object({ volumes: z.array(volumeSummarySchema) });
/** Docker's inspect JSON, as Docker sent it. */
export const inspectResultSchema = z.object({ inspect: z.record(z.string(), z.unknown()) });
export const dockerActionResultSchema = z.object({ message: z.string() });

/** Streamed call: a container's log, as lines (follow keeps the stream open). */
export const containerLogsRequestSchema = z
  .object({ id: containerRefSchema, follow: z.boolean().default(true), tail: z.number().int().min(0).max(100_000).default(500), timestamps: z.boolean().default(false) })
  .strict();
export const logLineSchema = z.object({ stream: z.enum(['stdout', 'stderr']), line: z.string() });
export type LogLine = z.infer<typeof logLineSchema>;

/** Streamed call: pull an image; one item per progress message Docker sends (per layer). */
export const imagePullRequestSchema = z.object({ ref: imageRefSchema }).strict();
export const pullProgressSchema = z.object({
  /** The layer id, or absent for messages about the whole pull. */
  layer: z.string().optional(),
  status: z.string(),
  current: z.number().optional(),
  total: z.number().optional(),
});
export type PullProgress = z.infer<typeof pullProgressSchema>;

/** The VM's resources in use, sampled by berthd every few seconds while the VM runs. */
export const vmStatsSchema = z.object({
  /** Busy share of the VM's CPUs, 0..1 (1 = all of them). */
  cpu: z.number().min(0).max(1),
  memoryUsedBytes: z.number(),
  memoryTotalBytes: z.number(),
  diskUsedBytes: z.number().optional(),
  diskTotalBytes: z.number().optional(),
  at: z.number(),
});
export type VmStats = z.infer<typeof vmStatsSchema>;
