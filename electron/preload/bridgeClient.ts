// Owns: the renderer's Transport as the preload builds it — one ipcRenderer.invoke per operation,
// events, streams and terminals read from the MessagePort main hands over; no raw IPC leaves here.
import type { ApiError, ApiEvent, RouteName, StreamName } from '../../helpers/api/controlApi.ts';
import type { TerminalServerMessage, TerminalSpec } from '../../helpers/api/terminal.ts';
import type { RouteBody, RouteResponse, StreamBody, StreamHandlers, StreamItem, TerminalChannel, Transport, Unsubscribe } from '../../helpers/api/transport.ts';
import { IPC, type EventsPortMessage, type IpcChannel, type StreamPortMessage, type TerminalPortMessage } from '../common/ipcChannels.ts';

/** The two things the preload needs from ipcRenderer (tests give a fake wired to the real main handlers). */
export interface PreloadIpc {
  invoke(channel: IpcChannel, arg: unknown): Promise<unknown>;
  /** Every port main sends on PORT_CHANNEL, with the request id it answers. */
  onPort(listener: (id: string, port: MessagePort) => void): void;
}

/**
 * How a failure reaches the page: a plain object shaped like helpers/api's TransportError, because
 * contextBridge drops every property of a thrown Error but its message.
 */
export interface BridgedError {
  name: 'TransportError';
  message: string;
  error: ApiError;
}
export function bridgedError(error: ApiError): BridgedError {
  return { name: 'TransportError', message: error.message, error: { code: error.code, message: error.message, hint: error.hint } };
}

const badAnswer: ApiError = { code: 'internal', message: 'The desktop app answered something this window does not understand', hint: 'Restart Berth; if it persists, report it with Troubleshoot → logs.' };

/** The value of an IpcResult, or the BridgedError its failure becomes. */
function unwrap(result: unknown): unknown {
  if (typeof result === 'object' && result !== null && 'ok' in result) {
    const r = result as { ok: boolean; value?: unknown; error?: ApiError };
    if (r.ok) return r.value;
    if (r.error) throw bridgedError(r.error);
  }
  throw bridgedError(badAnswer);
}

function errorOf(e: unknown): ApiError {
  if (typeof e === 'object' && e !== null && 'error' in e) return (e as BridgedError).error;
  return { ...badAnswer, message: `The desktop app did not answer: ${e instanceof Error ? e.message : String(e)}` };
}

export function createTransport(ipc: PreloadIpc): Transport {
  let seq = 0;
  const waiting = new Map<string, (port: MessagePort) => void>();
  ipc.onPort((id, port) => {
    const take = waiting.get(id);
    waiting.delete(id);
    if (take) take(port);
    else port.close(); // nobody asked (or the asker gave up): never leave a port open
  });

  /** Asks main for a port-based operation; `take` gets the port, `failed` the error instead. */
  function openPort(channel: IpcChannel, arg: Record<string, unknown>, take: (port: MessagePort) => void, failed: (error: ApiError) => void): () => void {
    const id = `p${++seq}`;
    waiting.set(id, take);
    ipc.invoke(channel, { ...arg, id }).then(unwrap).catch((e: unknown) => {
      waiting.delete(id);
      failed(errorOf(e));
    });
    return () => waiting.delete(id);
  }

  const call = async <K extends RouteName>(name: K, body?: RouteBody<K>): Promise<RouteResponse<K>> =>
    unwrap(await ipc.invoke(IPC.call, body === undefined ? { name } : { name, body })) as RouteResponse<K>;

  const events = (onEvent: (event: ApiEvent) => void, connected: (up: boolean) => void): Unsubscribe => {
    let port: MessagePort | undefined;
    let stopped = false;
    const forget = openPort(
      IPC.events,
      {},
      (p) => {
        if (stopped) return p.close();
        port = p;
        p.onmessage = (e: MessageEvent<EventsPortMessage>) => (e.data.type === 'event' ? onEvent(e.data.event) : connected(e.data.up));
      },
      () => connected(false),
    );
    return () => {
      stopped = true;
      forget();
      port?.close();
    };
  };

  const stream = <K extends StreamName>(name: K, body: StreamBody<K>, handlers: StreamHandlers<StreamItem<K>>): Unsubscribe => {
    let port: MessagePort | undefined;
    let done = false;
    const end = (error?: ApiError): void => {
      if (done) return;
      done = true;
      port?.close();
      handlers.end(error);
    };
    const forget = openPort(
      IPC.stream,
      { name, body },
      (p) => {
        if (done) return p.close();
        port = p;
        p.onmessage = (e: MessageEvent<StreamPortMessage>) => (e.data.type === 'item' ? handlers.item(e.data.item as StreamItem<K>) : end(e.data.error));
      },
      end,
    );
    return () => {
      done = true;
      forget();
      port?.close();
    };
  };

  const openTerminal = (spec: TerminalSpec): TerminalChannel => {
    const dataListeners: ((data: Uint8Array) => void)[] = [];
    const messageListeners: ((message: TerminalServerMessage) => void)[] = [];
    const closeListeners: (() => void)[] = [];
    const pending: unknown[] = [];
    let port: MessagePort | undefined;
    let closed = false;
    const finish = (): void => {
      if (closed) return;
      closed = true;
      port?.close();
      for (const l of closeListeners) l();
    };
    const send = (m: unknown): void => {
      if (closed) return;
      if (port) port.postMessage(m);
      else pending.push(m);
    };
    const forget = openPort(
      IPC.terminal,
      { spec },
      (p) => {
        if (closed) return p.close();
        port = p;
        p.onmessage = (e: MessageEvent<TerminalPortMessage>) => {
          const m = e.data;
          if (m.type === 'data') for (const l of dataListeners) l(m.data);
          else if (m.type === 'message') for (const l of messageListeners) l(m.message);
          else finish();
        };
        for (const m of pending.splice(0)) p.postMessage(m);
      },
      (error) => {
        for (const l of messageListeners) l({ type: 'error', ...error });
        finish();
      },
    );
    // A plain object: contextBridge copies own properties only, so class methods would not cross.
    return {
      write: (data) => send({ type: 'write', data }),
      resize: (cols, rows) => send({ type: 'resize', cols, rows }),
      onData: (l) => void dataListeners.push(l),
      onMessage: (l) => void messageListeners.push(l),
      onClose: (l) => void closeListeners.push(l),
      close: () => {
        forget();
        send({ type: 'close' });
        finish();
      },
    };
  };

  const openExternal = async (url: string): Promise<void> => {
    unwrap(await ipc.invoke(IPC.openExternal, { url }));
  };

  return { kind: 'electron', call, events, stream, openTerminal, openExternal };
}
