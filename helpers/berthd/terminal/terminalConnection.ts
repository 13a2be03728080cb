// Owns: one /v1/terminal WebSocket joined to its session — the spec and control messages validated,
// ready/exit/error sent per helpers/api/terminal.ts, input held until the session runs, output backpressure.
import type { RawData, WebSocket } from 'ws';
import type { z } from 'zod';
import { terminalClientMessageSchema, terminalSpecSchema, type TerminalClientMessage, type TerminalServerMessage } from '../../api/terminal.ts';
import type { TerminalHandle, TerminalRegistry } from './terminalRegistry.ts';
import { TerminalFailure, type SessionEnd, type TerminalKind, type TerminalSession } from './terminalSession.ts';

export type ParsedTerminalSpec = z.output<typeof terminalSpecSchema>;
export type OpenSession = (spec: ParsedTerminalSpec) => Promise<TerminalSession>;
export type TerminalConnectionDeps = { registry: TerminalRegistry; open: OpenSession; log: (m: string) => void };

/** Output queued in the socket above this pauses the session; below LOW_WATER it reads again. */
export const HIGH_WATER = 1024 * 1024;
export const LOW_WATER = 256 * 1024;
/** Input typed while the session is still opening (more is dropped). */
const MAX_EARLY_INPUT = 64 * 1024;

const SPEC_HINT = 'send /v1/terminal?spec=<JSON> as helpers/api/terminal.ts describes, e.g. {"kind":"vm"}';

function issueText(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue?.path.join('.') || 'spec'}: ${issue?.message ?? 'invalid'}`;
}

/** The `spec` query parameter, validated (defaults applied); throws TerminalFailure `bad-spec`. */
export function parseTerminalSpec(query: URLSearchParams): ParsedTerminalSpec {
  const text = query.get('spec');
  if (text === null) throw new TerminalFailure('bad-spec', 'the terminal request has no spec', SPEC_HINT);
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new TerminalFailure('bad-spec', 'the terminal spec is not JSON', SPEC_HINT);
  }
  const parsed = terminalSpecSchema.safeParse(raw);
  if (!parsed.success) throw new TerminalFailure('bad-spec', `the terminal spec is invalid: ${issueText(parsed.error)}`, SPEC_HINT);
  return parsed.data;
}

/** A text frame from the client; throws TerminalFailure `bad-message`. */
export function parseClientMessage(text: string): TerminalClientMessage {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new TerminalFailure('bad-message', 'the terminal got a text frame that is not JSON', 'send keyboard input as binary frames and only resize/signal messages as text');
  }
  const parsed = terminalClientMessageSchema.safeParse(raw);
  if (!parsed.success) throw new TerminalFailure('bad-message', `the terminal got an invalid message: ${issueText(parsed.error)}`, 'send only the messages of helpers/api/terminal.ts');
  return parsed.data;
}

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

/** A bad spec or a full registry is answered on the accepted socket (`error`, then close) so any client can show it. */
export function serveTerminal(ws: WebSocket, query: URLSearchParams, deps: TerminalConnectionDeps): void {
  new TerminalConnection(ws, deps).start(query);
}

class TerminalConnection implements TerminalHandle {
  private specKind: TerminalKind = 'vm';
  private session: TerminalSession | undefined;
  private opening: Promise<TerminalSession> | undefined;
  private readonly early: Buffer[] = [];
  private earlyBytes = 0;
  private earlySize: { cols: number; rows: number } | undefined;
  private finished = false;
  private paused = false;

  constructor(
    private readonly ws: WebSocket,
    private readonly deps: TerminalConnectionDeps,
  ) {}

  get kind(): TerminalKind {
    return this.specKind;
  }

  start(query: URLSearchParams): void {
    this.ws.on('error', (e) => this.deps.log(`terminal: socket error: ${e.message}`));
    let spec: ParsedTerminalSpec;
    try {
      spec = parseTerminalSpec(query);
      this.specKind = spec.kind;
      this.deps.registry.add(this);
    } catch (e) {
      this.finished = true;
      this.send(errorMessage(e));
      this.ws.close(1000);
      return;
    }
    this.ws.on('message', (data, isBinary) => this.onClientFrame(data, isBinary));
    this.ws.on('close', () => this.onSocketClosed());
    this.opening = this.deps.open(spec);
    this.opening.then(
      (s) => this.attach(s),
      (e: unknown) => this.finish(errorMessage(e)),
    );
  }

  /** Ended from outside (berthd stopping, the VM stopped): say why, then end the session. */
  async end(failure: TerminalFailure): Promise<void> {
    this.finish(errorMessage(failure), 1001);
    const session = this.session ?? (await this.opening?.catch(() => undefined));
    await session?.close();
  }

  private attach(session: TerminalSession): void {
    if (this.finished) {
      void session.close();
      return;
    }
    this.session = session;
    this.send({ type: 'ready', title: session.title });
    session.onData((d) => this.output(d));
    session.onExit((end) => this.onSessionEnd(end));
    if (this.earlySize) session.resize(this.earlySize.cols, this.earlySize.rows);
    for (const chunk of this.early.splice(0)) session.write(chunk);
  }

  private onClientFrame(data: RawData, isBinary: boolean): void {
    if (this.finished) return;
    if (isBinary) {
      const bytes = toBuffer(data);
      if (this.session) this.session.write(bytes);
      else if (this.earlyBytes + bytes.length <= MAX_EARLY_INPUT) {
        this.early.push(bytes);
        this.earlyBytes += bytes.length;
      }
      return;
    }
    let message: TerminalClientMessage;
    try {
      message = parseClientMessage(toBuffer(data).toString('utf8'));
    } catch (e) {
      this.finish(errorMessage(e));
      return;
    }
    if (message.type === 'resize') {
      if (this.session) this.session.resize(message.cols, message.rows);
      else this.earlySize = { cols: message.cols, rows: message.rows };
    } else this.session?.signal(message.signal);
  }

  private output(data: Buffer): void {
    if (this.finished) return;
    this.ws.send(data, { binary: true }, () => this.maybeResume());
    if (!this.paused && this.ws.bufferedAmount > HIGH_WATER) {
      this.paused = true;
      this.session?.pause();
    }
  }

  private maybeResume(): void {
    if (this.paused && this.ws.bufferedAmount < LOW_WATER) {
      this.paused = false;
      this.session?.resume();
    }
  }

  private onSessionEnd(end: SessionEnd): void {
    this.finish(end.type === 'exit' ? { type: 'exit', code: end.code, ...(end.signal ? { signal: end.signal } : {}) } : errorMessage(end.failure));
  }

  /** Send the last message, close the socket and the session (a session still opening is closed by attach). */
  private finish(last: TerminalServerMessage, code = 1000): void {
    if (this.finished) return;
    this.finished = true;
    this.deps.registry.delete(this);
    this.send(last);
    this.ws.close(code);
    void this.session?.close();
    if (last.type === 'error') this.deps.log(`terminal (${this.specKind}) ended: ${last.message}`);
  }

  private onSocketClosed(): void {
    this.finished = true;
    this.deps.registry.delete(this);
    void this.session?.close();
  }

  private send(message: TerminalServerMessage): void {
    if (this.ws.readyState === this.ws.OPEN) this.ws.send(JSON.stringify(message));
  }
}

function errorMessage(e: unknown): TerminalServerMessage {
  if (e instanceof TerminalFailure) return { type: 'error', code: e.code, message: e.message, hint: e.hint };
  return { type: 'error', code: 'terminal-failed', message: `the terminal failed: ${(e as Error).message}`, hint: 'open a new terminal; if this repeats, see berthd.log in $BERTH_HOME/logs' };
}
