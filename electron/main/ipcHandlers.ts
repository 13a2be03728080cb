// Owns: the main process's IPC surface — one guarded channel per Transport operation (T-36), each
// argument checked by the shared contract; events, streams and terminals handed over as MessagePorts.
import type { ApiError, ApiEvent, RouteName, StreamName } from '../../helpers/api/controlApi.ts';
import type { TerminalSpec } from '../../helpers/api/terminal.ts';
import type { StreamHandlers, TerminalChannel, Unsubscribe } from '../../helpers/api/transport.ts';
import { callArgsSchema, eventsArgsSchema, IPC, openExternalArgsSchema, PORT_CHANNEL, streamArgsSchema, terminalArgsSchema } from '../common/ipcContract.ts';
import { handleGuarded, type GuardedEvent, type GuardedFrame, type GuardedIpc } from './ipcGuard.ts';
import { pipeEvents, pipeStream, pipeTerminal, type MainPort } from './portBridge.ts';
import type { UrlDecision } from './urlPolicy.ts';

/** A sender frame that can be handed a port (Electron's WebFrameMain; `P` is MessagePortMain there). */
export interface PortFrame<P> extends GuardedFrame {
  postMessage(channel: string, message: unknown, transfer: P[]): void;
}
export interface PortEvent<P> extends GuardedEvent {
  readonly senderFrame: PortFrame<P> | null;
}

/** What the handlers do, injected: berthd through helpers/client, the OS through Electron. */
export interface IpcServices<P> {
  call(name: RouteName, body: unknown): Promise<unknown>;
  followEvents(onEvent: (event: ApiEvent) => void, connected: (up: boolean) => void): Unsubscribe;
  startStream(name: StreamName, body: unknown, handlers: StreamHandlers<unknown>): Unsubscribe;
  openTerminal(spec: TerminalSpec): TerminalChannel;
  /** checkExternalUrl with the current published ports (T-37). */
  checkExternal(url: string): UrlDecision;
  openExternal(url: string): Promise<void>;
  /** A new MessageChannelMain: `local` stays in main, `remote` goes to the window. */
  newChannel(): { local: MainPort; remote: P };
  log(message: string): void;
}

function linkRefused(url: string, reason: string): ApiError {
  return {
    code: 'link-refused',
    message: `Berth did not open ${url.slice(0, 200)}: ${reason}`,
    hint: 'Only https links, and links to published container ports on localhost, are opened; copy the address into your browser if you trust it.',
  };
}

/** Hands `remote` to the asking frame tagged with the request id; the invoke then answers {id}. */
function handOver<P>(event: PortEvent<P>, id: string, channel: { local: MainPort; remote: P }): MainPort {
  const frame = event.senderFrame;
  if (frame === null) throw { code: 'forbidden-sender', message: 'IPC refused: the sending frame is gone', hint: 'Reload the window.' } satisfies ApiError;
  frame.postMessage(PORT_CHANNEL, { id }, [channel.remote]);
  return channel.local;
}

export function registerIpc<P>(ipc: GuardedIpc<PortEvent<P>>, services: IpcServices<P>): void {
  handleGuarded(ipc, IPC.call, callArgsSchema, ({ name, body }) => services.call(name, body));

  handleGuarded(ipc, IPC.events, eventsArgsSchema, ({ id }, event: PortEvent<P>) => {
    pipeEvents(handOver(event, id, services.newChannel()), services.followEvents);
    return { id };
  });

  handleGuarded(ipc, IPC.stream, streamArgsSchema, ({ id, name, body }, event: PortEvent<P>) => {
    pipeStream(handOver(event, id, services.newChannel()), (handlers) => services.startStream(name, body, handlers));
    return { id };
  });

  handleGuarded(ipc, IPC.terminal, terminalArgsSchema, ({ id, spec }, event: PortEvent<P>) => {
    const channel = services.openTerminal(spec);
    pipeTerminal(handOver(event, id, services.newChannel()), channel, services.log);
    return { id };
  });

  handleGuarded(ipc, IPC.openExternal, openExternalArgsSchema, async ({ url }) => {
    const decision = services.checkExternal(url);
    if (!decision.ok) throw linkRefused(url, decision.reason);
    await services.openExternal(decision.url);
    return null;
  });
}
