// Owns: what flows over the MessagePort of each port-based IPC call — berthd's events, a streamed
// call's items, a terminal's bytes both ways — and ending the berthd side when the window's end closes.
import type { MessagePortMain } from 'electron';
import type { ApiError, ApiEvent } from '../../helpers/api/controlApi.ts';
import type { StreamHandlers, TerminalChannel, Unsubscribe } from '../../helpers/api/transport.ts';
import { terminalInputSchema, type EventsPortMessage, type StreamPortMessage, type TerminalPortMessage } from '../common/ipcContract.ts';

/** The parts of Electron's MessagePortMain used here; tests use Node's own MessageChannel behind a small adapter. */
export interface MainPort {
  postMessage(message: unknown): void;
  on(event: 'message', listener: (messageEvent: { data: unknown }) => void): unknown;
  on(event: 'close', listener: () => void): unknown;
  start(): void;
  close(): void;
}
type AssertAssignable<A extends B, B> = A;
export type ElectronPortIsMainPort = AssertAssignable<MessagePortMain, MainPort>;

/** events: berthd's events and up/down until the window closes its end. */
export function pipeEvents(port: MainPort, follow: (onEvent: (e: ApiEvent) => void, connected: (up: boolean) => void) => Unsubscribe): void {
  const send = (m: EventsPortMessage): void => port.postMessage(m);
  const stop = follow(
    (event) => send({ type: 'event', event }),
    (up) => send({ type: 'connected', up }),
  );
  port.on('close', () => stop());
  port.start();
}

/** stream: items, then one `end` (with berthd's error when it failed); closing the window's end cancels. */
export function pipeStream(port: MainPort, start: (handlers: StreamHandlers<unknown>) => Unsubscribe): void {
  const send = (m: StreamPortMessage): void => port.postMessage(m);
  let ended = false;
  const stop = start({
    item: (item) => {
      if (!ended) send({ type: 'item', item });
    },
    end: (error?: ApiError) => {
      if (ended) return;
      ended = true;
      send(error ? { type: 'end', error } : { type: 'end' });
      port.close();
    },
  });
  port.on('close', () => {
    if (ended) return;
    ended = true;
    stop();
  });
  port.start();
}

/**
 * terminal: output bytes and control messages to the window; keyboard input and resizes back, each
 * checked against the contract (the port is an input like any IPC argument). Either side closing ends both.
 */
export function pipeTerminal(port: MainPort, channel: TerminalChannel, onRefused: (why: string) => void = () => {}): void {
  const send = (m: TerminalPortMessage): void => port.postMessage(m);
  let closed = false;
  channel.onData((data) => send({ type: 'data', data: new Uint8Array(data) }));
  channel.onMessage((message) => send({ type: 'message', message }));
  channel.onClose(() => {
    if (closed) return;
    closed = true;
    send({ type: 'close' });
    port.close();
  });
  port.on('message', ({ data }) => {
    const input = terminalInputSchema.safeParse(data);
    if (!input.success) {
      onRefused(`terminal input refused: ${input.error.issues[0]?.message ?? 'not a terminal message'}`);
      return;
    }
    const m = input.data;
    if (m.type === 'write') channel.write(m.data);
    else if (m.type === 'resize') channel.resize(m.cols, m.rows);
    else channel.close();
  });
  port.on('close', () => {
    if (closed) return;
    closed = true;
    channel.close();
  });
  port.start();
}
