// Owns: the Transport of the browser UI over `berth dashboard`'s loopback bridge — calls, the event
// stream (fetch streaming, so the token header goes along; reconnects with backoff), streams, terminals.
import { apiErrorSchema, apiEventSchema, type ApiError, type ApiEvent, type RouteName, type StreamName, streams } from '../../../helpers/api/controlApi.ts';
import { TERMINAL_PROTOCOL, terminalServerMessageSchema, type TerminalServerMessage, type TerminalSpec } from '../../../helpers/api/terminal.ts';
import { type RouteBody, type RouteResponse, type StreamBody, type StreamHandlers, type StreamItem, type TerminalChannel, type Transport, TransportError, type Unsubscribe } from '../../../helpers/api/transport.ts';
import { reconnectDelayMs } from './bridgeToken.ts';
import { checkExternalUrl, publishedPorts } from './externalUrl.ts';
import { SseByteParser, type SseMessage } from './sseParser.ts';

export const TOKEN_HEADER = 'x-berth-token';

const unreachable = (what: string): ApiError => ({
  code: 'bridge-unreachable',
  message: `Berth's dashboard server did not answer (${what})`,
  hint: 'Check that `berth dashboard` still runs in its terminal; start it again and open the new link it prints',
});

/** berthd's {code, message, hint} from a failed answer, or the HTTP status said the same way. */
async function errorOf(res: Response): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const parsed = apiErrorSchema.safeParse(JSON.parse(text));
    if (parsed.success) return parsed.data;
  } catch {
    // not JSON: described below
  }
  return {
    code: `http-${res.status}`,
    message: `Berth's dashboard server answered ${res.status} ${res.statusText}`.trim(),
    hint: res.status === 403 ? 'Open the link `berth dashboard` printed (it carries the access token), or run it again' : 'Try again; if it persists, see Troubleshoot → berthd log',
  };
}

function errorOfFrame(data: string): ApiError {
  try {
    const parsed = apiErrorSchema.safeParse(JSON.parse(data));
    if (parsed.success) return parsed.data;
  } catch {
    // fall through
  }
  return { code: 'stream-error', message: `The stream failed: ${data.slice(0, 200)}`, hint: 'Try again; see Troubleshoot → berthd log' };
}

async function readSse(body: ReadableStream<Uint8Array>, onMessage: (m: SseMessage) => boolean | void): Promise<'eof' | 'stopped'> {
  const reader = body.getReader();
  const parser = new SseByteParser();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      const messages = done ? parser.end() : parser.push(value);
      for (const m of messages) if (onMessage(m) === true) return 'stopped';
      if (done) return 'eof';
    }
  } finally {
    reader.cancel().catch(() => undefined);
  }
}

export function createBrowserTransport(token: string, base: string = window.location.href): Transport {
  const headers = { [TOKEN_HEADER]: token, 'content-type': 'application/json' };
  const url = (path: string) => new URL(path, base).href;
  /** Host ports a localhost link may open, from the `ports` events this transport passes on. */
  let localPorts: Set<number> | undefined;

  async function call<K extends RouteName>(name: K, body?: RouteBody<K>): Promise<RouteResponse<K>> {
    let res: Response;
    try {
      res = await fetch(url(`/api/call/${name}`), { method: 'POST', headers, body: JSON.stringify(body ?? {}), cache: 'no-store' });
    } catch {
      throw new TransportError(unreachable(name));
    }
    if (!res.ok) throw new TransportError(await errorOf(res));
    return (await res.json()) as RouteResponse<K>;
  }

  function events(onEvent: (event: ApiEvent) => void, connected: (up: boolean) => void): Unsubscribe {
    let stopped = false;
    let controller: AbortController | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let up: boolean | undefined;
    const report = (value: boolean) => {
      if (up !== value && !stopped) connected((up = value));
    };
    const deliver = (m: SseMessage) => {
      let parsed: ReturnType<typeof apiEventSchema.safeParse>;
      try {
        parsed = apiEventSchema.safeParse(JSON.parse(m.data));
      } catch {
        return;
      }
      if (!parsed.success) return;
      if (parsed.data.type === 'ports') localPorts = publishedPorts(parsed.data.forwards);
      onEvent(parsed.data);
    };
    const connectOnce = async (): Promise<boolean> => {
      controller = new AbortController();
      try {
        const res = await fetch(url('/api/events'), { headers: { [TOKEN_HEADER]: token }, signal: controller.signal, cache: 'no-store' });
        if (!res.ok || !res.body) return false;
        report(true);
        await readSse(res.body, (m) => {
          if (stopped) return true;
          deliver(m);
        });
        return true;
      } catch {
        return false;
      }
    };
    const loop = async (attempt: number) => {
      const wasUp = await connectOnce();
      if (stopped) return;
      report(false);
      const next = wasUp ? 0 : attempt + 1;
      timer = setTimeout(() => void loop(next), reconnectDelayMs(wasUp ? 0 : attempt));
    };
    void loop(0);
    return () => {
      stopped = true;
      clearTimeout(timer);
      controller?.abort();
    };
  }

  function stream<K extends StreamName>(name: K, body: StreamBody<K>, handlers: StreamHandlers<StreamItem<K>>): Unsubscribe {
    const controller = new AbortController();
    let ended = false;
    const end = (error?: ApiError) => {
      if (ended) return;
      ended = true;
      controller.abort();
      handlers.end(error);
    };
    const itemSchema = streams[name].item;
    void (async () => {
      try {
        const res = await fetch(url(`/api/stream/${name}`), { method: 'POST', headers, body: JSON.stringify(body), signal: controller.signal, cache: 'no-store' });
        if (!res.ok || !res.body) return end(res.ok ? unreachable(name) : await errorOf(res));
        const how = await readSse(res.body, (m) => {
          if (ended) return true;
          if (m.event === 'end') return end(), true;
          if (m.event === 'error') return end(errorOfFrame(m.data)), true;
          if (m.event !== 'item') return;
          try {
            const item = itemSchema.safeParse(JSON.parse(m.data));
            if (item.success) handlers.item(item.data as StreamItem<K>);
          } catch {
            // a malformed item is skipped; the stream goes on
          }
        });
        if (how === 'eof') end({ code: 'stream-cut', message: `The ${name} stream ended before Berth said it was done`, hint: 'Try again; if berthd restarted, see Troubleshoot → berthd log' });
      } catch {
        if (!ended) end(unreachable(name));
      }
    })();
    return () => {
      ended = true;
      controller.abort();
    };
  }

  function openTerminal(spec: TerminalSpec): TerminalChannel {
    const wsUrl = new URL(`/api/terminal?spec=${encodeURIComponent(JSON.stringify(spec))}`, base);
    wsUrl.protocol = wsUrl.protocol === 'https:' ? 'wss:' : 'ws:';
    const socket = new WebSocket(wsUrl.href, [TERMINAL_PROTOCOL, `berth-token.${token}`]);
    socket.binaryType = 'arraybuffer';
    const dataListeners: ((d: Uint8Array) => void)[] = [];
    const messageListeners: ((m: TerminalServerMessage) => void)[] = [];
    const closeListeners: (() => void)[] = [];
    const pending: (string | Uint8Array)[] = [];
    const encoder = new TextEncoder();
    let told = false;
    const emit = (m: TerminalServerMessage) => {
      if (m.type !== 'ready') told = true;
      for (const l of messageListeners) l(m);
    };
    const send = (frame: string | Uint8Array) => {
      if (socket.readyState === WebSocket.OPEN) socket.send(frame);
      else if (socket.readyState === WebSocket.CONNECTING) pending.push(frame);
    };
    socket.onopen = () => {
      for (const f of pending.splice(0)) socket.send(f);
    };
    socket.onmessage = (ev: MessageEvent<string | ArrayBuffer>) => {
      if (typeof ev.data !== 'string') {
        const bytes = new Uint8Array(ev.data);
        for (const l of dataListeners) l(bytes);
        return;
      }
      try {
        const m = terminalServerMessageSchema.safeParse(JSON.parse(ev.data));
        if (m.success) emit(m.data);
      } catch {
        // not a control message: ignored
      }
    };
    socket.onclose = (ev: CloseEvent) => {
      if (!told) {
        emit({
          type: 'error',
          code: 'terminal-closed',
          message: `The terminal connection closed before the session said why (${ev.code}${ev.reason ? `: ${ev.reason}` : ''})`,
          hint: 'Check that Berth runs (Dashboard) and that `berth dashboard` still runs, then open a new terminal',
        });
      }
      for (const l of closeListeners) l();
    };
    return {
      write: (data) => send(typeof data === 'string' ? encoder.encode(data) : data),
      resize: (cols, rows) => send(JSON.stringify({ type: 'resize', cols, rows })),
      onData: (l) => void dataListeners.push(l),
      onMessage: (l) => void messageListeners.push(l),
      onClose: (l) => void closeListeners.push(l),
      close: () => {
        told = true;
        pending.length = 0;
        socket.close(1000, 'closed by the user');
      },
    };
  }

  async function openExternal(link: string): Promise<void> {
    const ports = localPorts ?? publishedPorts((await call('ports')).forwards);
    const decision = checkExternalUrl(link, ports);
    if (!decision.ok) {
      throw new TransportError({ code: 'link-refused', message: `Berth did not open ${link.slice(0, 200)}: ${decision.reason}`, hint: 'Only links to published container ports on localhost, or https links, are opened; copy the address into your browser if you trust it' });
    }
    window.open(decision.url, '_blank', 'noopener,noreferrer');
  }

  return { kind: 'browser', call, events, stream, openTerminal, openExternal };
}
