// Owns: the host's client for the agent's newline-delimited JSON RPC on an `rpc` link stream —
// request ids, concurrent calls, per-call timeouts and failing every pending call with the stream.
import { StringDecoder } from 'node:string_decoder';
import type { Duplex } from 'node:stream';
import type { LinkSession } from './linkSession.ts';

/** Longest response line accepted before the stream is considered broken. */
export const MAX_RPC_LINE = 1 << 20;

export class AgentRpcError extends Error {
  constructor(
    readonly method: string,
    /** The agent's error code, or `timeout`, `link` (the stream failed) or `bad-response`. */
    readonly code: string,
    message: string,
  ) {
    super(`agent rpc ${method}: ${code}: ${message}`);
    this.name = 'AgentRpcError';
  }
}

type Pending = { method: string; resolve: (v: unknown) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };
type Response = { id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown } };

export class AgentRpc {
  private readonly pending = new Map<number, Pending>();
  private readonly decoder = new StringDecoder('utf8');
  private buffer = '';
  private nextId = 1;
  private failure: Error | null = null;

  /** Open the `rpc` stream on a session and wrap it. */
  static open(session: LinkSession): AgentRpc {
    return new AgentRpc(session.open('rpc'));
  }

  constructor(private readonly stream: Duplex) {
    stream.on('data', (chunk: Buffer) => this.onData(chunk));
    stream.on('error', (err: Error) => this.fail(err.message));
    stream.on('end', () => this.fail('the agent closed the rpc stream'));
    stream.on('close', () => this.fail('the rpc stream closed'));
  }

  /** Call `method`; resolves with the result, rejects with AgentRpcError. */
  call<T = unknown>(method: string, params: Record<string, unknown> = {}, timeoutMs = 10_000): Promise<T> {
    if (this.failure !== null) return Promise.reject(new AgentRpcError(method, 'link', this.failure.message));
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new AgentRpcError(method, 'timeout', `no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(id, { method, resolve: resolve as (v: unknown) => void, reject, timer });
      this.stream.write(`${JSON.stringify({ id, method, params })}\n`);
    });
  }

  /** Drop the stream (RESET); pending calls fail. */
  close(): void {
    this.fail('rpc client closed');
    this.stream.destroy();
  }

  private onData(chunk: Buffer): void {
    this.buffer += this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (line !== '') this.onLine(line);
    }
    if (this.buffer.length > MAX_RPC_LINE) this.broken(`response line longer than ${MAX_RPC_LINE} bytes`);
  }

  private onLine(line: string): void {
    let msg: Response;
    try {
      msg = JSON.parse(line) as Response;
    } catch {
      return this.broken(`unparsable response line: ${line.slice(0, 200)}`);
    }
    if (typeof msg !== 'object' || msg === null || typeof msg.id !== 'number') return;
    const call = this.pending.get(msg.id);
    if (call === undefined) return; // timed out already
    this.pending.delete(msg.id);
    clearTimeout(call.timer);
    if (msg.error !== undefined && msg.error !== null) {
      const code = typeof msg.error.code === 'string' ? msg.error.code : 'error';
      const message = typeof msg.error.message === 'string' ? msg.error.message : JSON.stringify(msg.error);
      call.reject(new AgentRpcError(call.method, code, message));
    } else if ('result' in msg) {
      call.resolve(msg.result);
    } else {
      call.reject(new AgentRpcError(call.method, 'bad-response', 'neither result nor error'));
    }
  }

  private broken(reason: string): void {
    this.fail(reason);
    this.stream.destroy(new Error(reason));
  }

  private fail(reason: string): void {
    this.failure ??= new Error(reason);
    for (const [id, call] of this.pending) {
      this.pending.delete(id);
      clearTimeout(call.timer);
      call.reject(new AgentRpcError(call.method, 'link', reason));
    }
  }
}
