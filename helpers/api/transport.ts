// Owns: the one interface the renderer codes against — calls, the event stream, streamed calls and
// terminals — implemented by Electron's preload bridge and by the browser's loopback HTTP bridge.
import type { z } from 'zod';
import type { ApiError, ApiEvent, RouteName, routes, StreamName, streams } from './controlApi.ts';
import type { TerminalServerMessage, TerminalSpec } from './terminal.ts';

export type RouteBody<K extends RouteName> = (typeof routes)[K] extends { body: z.ZodType } ? z.input<(typeof routes)[K]['body']> : Record<string, never>;
export type RouteResponse<K extends RouteName> = z.infer<(typeof routes)[K]['response']>;
export type StreamBody<K extends StreamName> = z.input<(typeof streams)[K]['body']>;
export type StreamItem<K extends StreamName> = z.infer<(typeof streams)[K]['item']>;

/** A failed call: berthd's {code, message, hint}, or a transport failure said the same way. */
export class TransportError extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
  }
}

export type Unsubscribe = () => void;

export type StreamHandlers<T> = {
  item: (item: T) => void;
  /** The stream ended: `error` is set when it failed. Called once. */
  end: (error?: ApiError) => void;
};

/** A live terminal session. Output arrives as bytes; `message` reports ready / exit / error. */
export interface TerminalChannel {
  write(data: string | Uint8Array): void;
  resize(cols: number, rows: number): void;
  onData(listener: (data: Uint8Array) => void): void;
  onMessage(listener: (message: TerminalServerMessage) => void): void;
  /** The connection closed (after `exit`, or because it broke). */
  onClose(listener: () => void): void;
  close(): void;
}

export interface Transport {
  /** Which bridge this is, for the UI's wording ("desktop app" or "browser"). */
  readonly kind: 'electron' | 'browser';
  call<K extends RouteName>(name: K, body?: RouteBody<K>): Promise<RouteResponse<K>>;
  /** Follow berthd's events; `connected` reports the stream going up or down (it reconnects by itself). */
  events(onEvent: (event: ApiEvent) => void, connected: (up: boolean) => void): Unsubscribe;
  stream<K extends StreamName>(name: K, body: StreamBody<K>, handlers: StreamHandlers<StreamItem<K>>): Unsubscribe;
  openTerminal(spec: TerminalSpec): TerminalChannel;
  /** Open a link in the user's browser, after the same checks the desktop shell makes (T-37). */
  openExternal(url: string): Promise<void>;
}
