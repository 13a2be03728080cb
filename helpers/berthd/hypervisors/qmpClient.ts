// A small QMP (QEMU Machine Protocol) client over QEMU's unix socket: capabilities handshake,
// commands answered in order, and asynchronous events (POWERDOWN, SHUTDOWN, STOP …) as callbacks.
import { connect, type Socket } from 'node:net';

export type QmpEvent = { event: string; data?: unknown; timestamp?: { seconds: number; microseconds: number } };

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void; command: string };

export class QmpClient {
  private buffer = '';
  private readonly pending: Pending[] = [];
  private readonly listeners = new Set<(e: QmpEvent) => void>();
  private closed = false;

  private constructor(private readonly socket: Socket) {
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => this.onData(chunk));
    socket.on('close', () => this.failAll(new Error('QMP connection closed (QEMU exited?)')));
    socket.on('error', (e) => this.failAll(e));
  }

  /** Connect, read the greeting and leave capabilities negotiation mode. */
  static async connect(path: string, timeoutMs = 5000): Promise<QmpClient> {
    const socket = connect(path);
    const client = new QmpClient(socket);
    const greeting = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no QMP greeting on ${path} within ${timeoutMs} ms`)), timeoutMs);
      client.pending.push({ command: '(greeting)', resolve: () => (clearTimeout(timer), resolve()), reject: (e) => (clearTimeout(timer), reject(e)) });
    });
    try {
      await greeting;
      await client.execute('qmp_capabilities');
    } catch (e) {
      socket.destroy();
      throw e;
    }
    return client;
  }

  onEvent(fn: (e: QmpEvent) => void): () => void {
    this.listeners.add(fn);
    return () => this.listeners.delete(fn);
  }

  execute(command: string, args?: Record<string, unknown>): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(`QMP ${command}: connection is closed`));
    return new Promise((resolve, reject) => {
      this.pending.push({ command, resolve, reject });
      this.socket.write(`${JSON.stringify(args ? { execute: command, arguments: args } : { execute: command })}\n`);
    });
  }

  close(): void {
    this.socket.destroy();
  }

  private onData(chunk: string): void {
    this.buffer += chunk;
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).trim();
      this.buffer = this.buffer.slice(nl + 1);
      if (!line) continue;
      let msg: Record<string, unknown>;
      try {
        msg = JSON.parse(line) as Record<string, unknown>;
      } catch {
        continue;
      }
      if (typeof msg.event === 'string') {
        for (const l of this.listeners) l(msg as QmpEvent);
        continue;
      }
      const p = this.pending.shift();
      if (!p) continue;
      if ('QMP' in msg || 'return' in msg) p.resolve(msg.return);
      else if (msg.error && typeof msg.error === 'object') {
        const err = msg.error as { class?: string; desc?: string };
        p.reject(new Error(`QMP ${p.command} failed: ${err.class ?? 'Error'}: ${err.desc ?? 'no description'}`));
      }
    }
  }

  private failAll(e: Error): void {
    this.closed = true;
    for (const p of this.pending.splice(0)) p.reject(e);
  }
}
