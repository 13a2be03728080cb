// Owns: the wrapper every ipcMain.handle goes through (T-36): the sender must be the app's own top
// frame, the argument must pass a helpers/api zod schema, and failures come back as {code, message, hint}.
import type { IpcMain, IpcMainInvokeEvent } from 'electron';
import type { z } from 'zod';
import { apiErrorSchema, type ApiError } from '../../helpers/api/controlApi.ts';
import { isAppUrl } from './urlPolicy.ts';

export type IpcResult<T> = { ok: true; value: T } | { ok: false; error: ApiError };

/** The parts of an IpcMainInvokeEvent the guard reads; fakes in tests build just these. */
export interface GuardedFrame {
  readonly url: string;
  readonly parent: object | null;
  readonly detached: boolean;
}
export interface GuardedEvent {
  readonly senderFrame: GuardedFrame | null;
}

/** Compile-time proof that Electron's event has the shape above (fails to build if Electron changes it). */
type AssertAssignable<A extends B, B> = A;
export type ElectronEventIsGuarded = AssertAssignable<IpcMainInvokeEvent, GuardedEvent>;

const refusedSender = (why: string): ApiError => ({
  code: 'forbidden-sender',
  message: `IPC refused: ${why}`,
  hint: 'Only the Berth window itself may call the shell; reload the window if this persists.',
});

/** undefined when the sender is the app's own, live, top-level frame; otherwise why not. */
export function checkSender(event: GuardedEvent): ApiError | undefined {
  let frame: GuardedFrame | null;
  try {
    frame = event.senderFrame;
  } catch {
    return refusedSender('the sending frame is gone');
  }
  if (frame === null || frame.detached) return refusedSender('the sending frame is gone');
  if (frame.parent !== null) return refusedSender('the sender is a subframe');
  if (!isAppUrl(frame.url)) return refusedSender('the sender is not a Berth page');
  return undefined;
}

/** An invoke carries zero or one argument; the schema decides whether undefined is acceptable. */
export function validateArgs<S extends z.ZodType>(schema: S, args: readonly unknown[]): IpcResult<z.output<S>> {
  if (args.length > 1) return { ok: false, error: badArgument(`expected one argument, got ${args.length}`) };
  const parsed = schema.safeParse(args[0]);
  if (parsed.success) return { ok: true, value: parsed.data };
  const issues = parsed.error.issues.slice(0, 5).map((i) => `${i.path.length ? i.path.join('.') : 'argument'}: ${i.message}`);
  return { ok: false, error: badArgument(issues.join('; ')) };
}

function badArgument(message: string): ApiError {
  return { code: 'bad-argument', message: `IPC argument rejected: ${message}`, hint: 'This is a bug in the Berth window; please report it.' };
}

/** A thrown ApiError (as berthd's client throws them) passes through; anything else becomes `internal`. */
export function errorResult(err: unknown): { ok: false; error: ApiError } {
  const api = apiErrorSchema.safeParse(err);
  if (api.success) return { ok: false, error: { code: api.data.code, message: api.data.message, hint: api.data.hint } };
  const message = err instanceof Error ? err.message : String(err);
  return { ok: false, error: { code: 'internal', message, hint: 'See Troubleshoot → logs for details.' } };
}

export type GuardedHandler<S extends z.ZodType, R, E extends GuardedEvent = GuardedEvent> = (value: z.output<S>, event: E) => R | Promise<R>;

/** The listener to give ipcMain.handle: it never throws, so the renderer always gets an IpcResult. */
export function guarded<S extends z.ZodType, R, E extends GuardedEvent = GuardedEvent>(
  schema: S,
  handler: GuardedHandler<S, R, E>,
): (event: E, ...args: unknown[]) => Promise<IpcResult<R>> {
  return async (event, ...args) => {
    const refused = checkSender(event);
    if (refused) return { ok: false, error: refused };
    const input = validateArgs(schema, args);
    if (!input.ok) return input;
    try {
      return { ok: true, value: await handler(input.value, event) };
    } catch (err) {
      return errorResult(err);
    }
  };
}

/** Registers a guarded handler (thin; type-checked against Electron's IpcMain). */
export function handleGuarded<S extends z.ZodType, R, E extends GuardedEvent = GuardedEvent>(
  ipcMain: GuardedIpc<E>,
  channel: string,
  schema: S,
  handler: GuardedHandler<S, R, E>,
): void {
  ipcMain.handle(channel, guarded(schema, handler));
}

/** Where guarded listeners are registered: Electron's ipcMain, or a fake of it in tests. */
export interface GuardedIpc<E extends GuardedEvent = GuardedEvent> {
  handle(channel: string, listener: (event: E, ...args: unknown[]) => Promise<unknown>): void;
}
/** Compile-time proof that Electron's ipcMain takes guarded listeners for its own events. */
export type ElectronIpcIsGuarded = AssertAssignable<Pick<IpcMain, 'handle'>, GuardedIpc<IpcMainInvokeEvent>>;
