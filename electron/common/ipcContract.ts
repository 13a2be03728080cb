// Owns: the IPC contract between the main process and the preload: one channel per Transport
// operation (names in ipcChannels.ts, re-exported here), the zod schema of each channel's argument
// and of the messages on the MessagePorts.
import { z } from 'zod';
import { apiEventSchema, routes, streams, type RouteName, type StreamName } from '../../helpers/api/controlApi.ts';
import { terminalServerMessageSchema, terminalSpecSchema } from '../../helpers/api/terminal.ts';

export * from './ipcChannels.ts';

/** A request id the preload makes up so it can match the port that arrives on PORT_CHANNEL. */
export const portIdSchema = z.string().regex(/^[a-z0-9-]{1,40}$/, 'a port request id');
export const portMessageSchema = z.object({ id: portIdSchema }).strict();

const routeNames = Object.keys(routes) as [RouteName, ...RouteName[]];
const streamNames = Object.keys(streams) as [StreamName, ...StreamName[]];

/** GET routes take no body: nothing, or an empty object. */
const noBody = z.object({}).strict();

function bodySchemaOf(name: RouteName): z.ZodType {
  const route = routes[name];
  return 'body' in route ? route.body : noBody;
}

/** Checks `body` with `schema`; issues are reported under `body.…`. An absent body is `{}`. */
function checkBody<T>(schema: z.ZodType, body: unknown, ctx: z.RefinementCtx): T {
  const parsed = schema.safeParse(body ?? {});
  if (parsed.success) return parsed.data as T;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: 'custom', message: issue.message, path: ['body', ...issue.path] });
  return z.NEVER;
}

/** berth:call — a route of berthd's control API by name, the body checked by that route's schema. */
export const callArgsSchema = z
  .object({ name: z.enum(routeNames), body: z.unknown().optional() })
  .strict()
  .transform((v, ctx) => ({ name: v.name, body: checkBody<unknown>(bodySchemaOf(v.name), v.body, ctx) }));
export type CallArgs = z.input<typeof callArgsSchema>;

/** berth:events — follow berthd's event stream over the port sent for `id`. */
export const eventsArgsSchema = portMessageSchema;

/** berth:stream — a streamed call by name, the body checked by that stream's schema. */
export const streamArgsSchema = z
  .object({ id: portIdSchema, name: z.enum(streamNames), body: z.unknown().optional() })
  .strict()
  .transform((v, ctx) => ({ id: v.id, name: v.name, body: checkBody<unknown>(streams[v.name].body, v.body, ctx) }));
export type StreamArgs = z.input<typeof streamArgsSchema>;

/** berth:terminal — open a terminal session; bytes and control messages go over the port. */
export const terminalArgsSchema = z.object({ id: portIdSchema, spec: terminalSpecSchema }).strict();

/** berth:open-external — the main process checks the URL again (T-37) before the OS sees it. */
export const openExternalArgsSchema = z.object({ url: z.string().max(4096) }).strict();

// ---- Messages on the ports (main → preload): types in ipcChannels.ts ----

/** What main sends, checked in tests against the shared schemas. */
export const eventsPortMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('event'), event: apiEventSchema }),
  z.object({ type: z.literal('connected'), up: z.boolean() }),
]);
export const terminalPortMessageSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('data'), data: z.instanceof(Uint8Array) }),
  z.object({ type: z.literal('message'), message: terminalServerMessageSchema }),
  z.object({ type: z.literal('close') }),
]);

// ---- Messages on the terminal port (preload → main), validated in main: the port is an input ----

/** Keyboard input and pastes; a paste larger than this is refused rather than buffered. */
export const MAX_TERMINAL_WRITE = 1024 * 1024;
const size = z.number().int().min(1).max(1000);
export const terminalInputSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('write'), data: z.union([z.string().max(MAX_TERMINAL_WRITE), z.instanceof(Uint8Array).refine((b) => b.byteLength <= MAX_TERMINAL_WRITE, 'too large')]) }).strict(),
  z.object({ type: z.literal('resize'), cols: size, rows: size }).strict(),
  z.object({ type: z.literal('close') }).strict(),
]);
export type TerminalInput = z.infer<typeof terminalInputSchema>;
