// Owns: the IPC channel names and the shapes of the port messages — no schemas and no imports but
// types, so the preload bundle carries none of zod (ipcContract.ts re-exports all of it with the schemas).
import type { ApiError, ApiEvent } from '../../helpers/api/controlApi.ts';
import type { TerminalServerMessage } from '../../helpers/api/terminal.ts';

/**
 * The name the preload exposes the renderer's Transport under (contextBridge.exposeInMainWorld):
 * `window.berthTransport`, as renderer/src/transport/pickTransport.ts reads it.
 */
export const BRIDGE_GLOBAL = 'berthTransport';

/** ipcRenderer.invoke channels, one per Transport operation. */
export const IPC = {
  call: 'berth:call',
  events: 'berth:events',
  stream: 'berth:stream',
  terminal: 'berth:terminal',
  openExternal: 'berth:open-external',
} as const;
export type IpcChannel = (typeof IPC)[keyof typeof IPC];

/**
 * Main → preload: the MessagePort a port-based call (events, stream, terminal) asked for, with the
 * request's id as the message. Sent to the asking frame only, before the invoke answers.
 */
export const PORT_CHANNEL = 'berth:port';

// ---- Messages on the ports (main → preload); the preload only reads them ----

export type EventsPortMessage = { type: 'event'; event: ApiEvent } | { type: 'connected'; up: boolean };
export type StreamPortMessage = { type: 'item'; item: unknown } | { type: 'end'; error?: ApiError };
export type TerminalPortMessage = { type: 'data'; data: Uint8Array } | { type: 'message'; message: TerminalServerMessage } | { type: 'close' };

