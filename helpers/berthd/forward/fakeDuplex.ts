// Owns: a test helper: one end of an in-memory connection that records what is written to it, lets the
// test push bytes out of it, and tells when its writing side was ended (half-close, T-10).
import { Duplex } from 'node:stream';

export class FakeDuplex extends Duplex {
  readonly received: Buffer[] = [];
  writeEnded = false;
  /** Called with each chunk written to this end, after it is recorded. */
  onWrite: ((chunk: Buffer) => void) | undefined;
  private readonly waiters: (() => void)[] = [];

  /** `slow`: each write completes on a later turn, so a writer meets backpressure. */
  constructor(private readonly slow = false) {
    super({ allowHalfOpen: true, writableHighWaterMark: slow ? 1024 : 16384 });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.received.push(chunk);
    this.onWrite?.(chunk);
    if (this.slow) setImmediate(cb);
    else cb();
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.writeEnded = true;
    for (const f of this.waiters.splice(0)) f();
    cb();
  }
  /** Resolves when the other side has ended its writing. */
  ended(): Promise<void> {
    return this.writeEnded ? Promise.resolve() : new Promise((r) => this.waiters.push(r));
  }
  bytes(): Buffer {
    return Buffer.concat(this.received);
  }
  text(): string {
    return this.bytes().toString('latin1');
  }
}

export async function until(cond: () => boolean, what: string, ms = 2000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 2));
  }
}
