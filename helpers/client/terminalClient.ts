// Owns: opening a berthd terminal from Node (Electron's main process, the CLI) — `/v1/terminal` over the
// control socket with `ws`, as the TerminalChannel of helpers/api/transport.ts, every failure said as `error`.
import type { IncomingMessage } from 'node:http';
import WebSocket from 'ws';
import { apiErrorSchema } from '../api/controlApi.ts';
import { TERMINAL_PATH, TERMINAL_PROTOCOL, terminalServerMessageSchema, type TerminalServerMessage, type TerminalSpec } from '../api/terminal.ts';
import type { TerminalChannel } from '../api/transport.ts';

/**
 * The ws URL of a terminal on berthd's control socket. A Windows pipe (`\\.\pipe\…`) cannot be a URL's
 * host, so it goes in the path (`ws+unix:\\.\pipe\…:/v1/terminal`): ws takes what is before the first `:` as the socket.
 */
export function terminalUrl(socketPath: string, spec: TerminalSpec): string {
  const at = socketPath.startsWith('\\\\') ? `ws+unix:${socketPath}` : `ws+unix://${socketPath}`;
  return `${at}:${TERMINAL_PATH}?spec=${encodeURIComponent(JSON.stringify(spec))}`;
}

type ErrorMessage = Extract<TerminalServerMessage, { type: 'error' }>;

/** Open a terminal on the berthd serving `socketPath`; failures arrive as an `error` message, then close. */
export function openTerminal(socketPath: string, spec: TerminalSpec): TerminalChannel {
  return new WsTerminalChannel(new WebSocket(terminalUrl(socketPath, spec), [TERMINAL_PROTOCOL]), socketPath);
}

class WsTerminalChannel implements TerminalChannel {
  private readonly dataListeners: ((data: Uint8Array) => void)[] = [];
  private readonly messageListeners: ((message: TerminalServerMessage) => void)[] = [];
  private readonly closeListeners: (() => void)[] = [];
  /** Input and resizes sent before the socket opened, in order. */
  private readonly pending: (Buffer | string)[] = [];
  /** An exit or error was reported: the end was said. */
  private ended = false;
  private closed = false;

  constructor(
    private readonly ws: WebSocket,
    socketPath: string,
  ) {
    ws.on('open', () => {
      for (const frame of this.pending.splice(0)) ws.send(frame, { binary: typeof frame !== 'string' });
    });
    ws.on('message', (data, isBinary) => this.onFrame(data, isBinary));
    ws.on('unexpected-response', (_req, res) => this.onRefused(res));
    ws.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT' || e.code === 'ECONNREFUSED')
        this.report({ type: 'error', code: 'daemon-unreachable', message: `Berth is not running (nothing answers on ${socketPath})`, hint: 'start Berth (`berth start`, or open the app), then open the terminal again' });
      else this.report({ type: 'error', code: 'connection-failed', message: `the terminal connection to berthd failed: ${e.message}`, hint: 'open a new terminal; if this repeats, see berthd.log in $BERTH_HOME/logs' });
    });
    ws.on('close', () => this.onClosed());
  }

  write(data: string | Uint8Array): void {
    this.sendFrame(typeof data === 'string' ? Buffer.from(data, 'utf8') : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }

  resize(cols: number, rows: number): void {
    this.sendFrame(JSON.stringify({ type: 'resize', cols, rows }));
  }

  onData(listener: (data: Uint8Array) => void): void {
    this.dataListeners.push(listener);
  }

  onMessage(listener: (message: TerminalServerMessage) => void): void {
    this.messageListeners.push(listener);
  }

  onClose(listener: () => void): void {
    this.closeListeners.push(listener);
  }

  close(): void {
    this.ended = true; // closed on purpose: no "connection lost"
    if (this.ws.readyState === WebSocket.CONNECTING) this.ws.terminate();
    else this.ws.close(1000);
  }

  /** Binary frames are bytes; text frames are resize messages. Before the socket opens they wait. */
  private sendFrame(frame: Buffer | string): void {
    if (this.ws.readyState === WebSocket.CONNECTING) this.pending.push(frame);
    else if (this.ws.readyState === WebSocket.OPEN) this.ws.send(frame, { binary: typeof frame !== 'string' });
  }

  private onFrame(data: WebSocket.RawData, isBinary: boolean): void {
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    if (isBinary) {
      for (const l of this.dataListeners) l(bytes);
      return;
    }
    let parsed: ReturnType<typeof terminalServerMessageSchema.safeParse>;
    try {
      parsed = terminalServerMessageSchema.safeParse(JSON.parse(bytes.toString('utf8')));
    } catch {
      parsed = terminalServerMessageSchema.safeParse(undefined);
    }
    if (!parsed.success) {
      this.report({ type: 'error', code: 'bad-message', message: 'berthd sent a terminal message this app does not understand', hint: 'update Berth so the app and berthd match, then open the terminal again' });
      this.ws.close(1002);
      return;
    }
    this.report(parsed.data);
  }

  /** berthd answered HTTP instead of switching to a WebSocket: its body is {code, message, hint}. */
  private onRefused(res: IncomingMessage): void {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => (text += d));
    res.on('end', () => {
      let body: ErrorMessage | undefined;
      try {
        const parsed = apiErrorSchema.safeParse(JSON.parse(text));
        if (parsed.success) body = { type: 'error', ...parsed.data };
      } catch {
        // not JSON: said below
      }
      this.report(body ?? { type: 'error', code: 'refused', message: `berthd refused the terminal (HTTP ${res.statusCode})`, hint: 'update Berth so the app and berthd match, then open the terminal again' });
      this.ws.terminate(); // ends in 'close'
    });
  }

  private report(message: TerminalServerMessage): void {
    if (this.ended && message.type !== 'ready') return;
    if (message.type !== 'ready') this.ended = true;
    for (const l of this.messageListeners) l(message);
  }

  private onClosed(): void {
    if (this.closed) return;
    if (!this.ended)
      this.report({ type: 'error', code: 'connection-lost', message: 'the connection to berthd closed before the terminal ended', hint: 'open a new terminal; if this repeats, see berthd.log in $BERTH_HOME/logs' });
    this.closed = true;
    for (const l of this.closeListeners) l();
  }
}
