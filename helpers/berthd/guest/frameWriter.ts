// Owns: the link's single write path — link/control frames first, then stream frames round-robin,
// one whole frame per transport.write, pausing on the transport's backpressure until 'drain'. The
// frames of one tick leave in one writev (cork until the next tick): fewer wake-ups of QEMU and the guest.
import type { Duplex } from 'node:stream';
import { encodeFrame, type Frame } from './frameCodec.ts';

/** Something with frames to send in order (a stream: OPEN, WINDOW, DATA, CLOSE_WRITE, CLOSE). */
export interface FrameSource {
  /** The next frame, or null when it has nothing it may send now (e.g. no send window). */
  pullFrame(): Frame | null;
  hasFrames(): boolean;
}

/** Control frames that may be dropped (PING, PONG) are refused beyond this many queued. */
export const MAX_DROPPABLE_QUEUED = 16;

export class FrameWriter {
  private readonly control: { frame: Frame; droppable: boolean }[] = [];
  private droppable = 0;
  private readonly ready: FrameSource[] = [];
  private readonly readySet = new Set<FrameSource>();
  private blocked = false;
  private pumping = false;
  private again = false;
  private stopped = false;
  private corked = false;
  private readonly uncork = (): void => {
    this.corked = false;
    this.transport.uncork();
  };
  private readonly onDrain = (): void => {
    this.blocked = false;
    this.pump();
  };

  constructor(private readonly transport: Duplex) {}

  /** True while frames wait for the transport's 'drain'. */
  get isBlocked(): boolean {
    return this.blocked;
  }

  /** Queue a link/control frame ahead of stream data. Returns false when a droppable one was dropped. */
  send(frame: Frame, options: { droppable?: boolean } = {}): boolean {
    if (this.stopped) return false;
    const droppable = options.droppable ?? false;
    if (droppable) {
      if (this.droppable >= MAX_DROPPABLE_QUEUED) return false;
      this.droppable++;
    }
    this.control.push({ frame, droppable });
    this.pump();
    return true;
  }

  /** A source has (new) frames to send: schedule it. */
  wake(source: FrameSource): void {
    if (this.stopped) return;
    if (!this.readySet.has(source)) {
      this.readySet.add(source);
      this.ready.push(source);
    }
    this.pump();
  }

  /** Forget queued control frames and sources (a new session starts, or the transport is gone). */
  clear(): void {
    this.control.length = 0;
    this.droppable = 0;
    this.ready.length = 0;
    this.readySet.clear();
  }

  stop(): void {
    this.stopped = true;
    this.clear();
    this.transport.off('drain', this.onDrain);
  }

  private pump(): void {
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = true;
    try {
      do {
        this.again = false;
        while (!this.blocked && !this.stopped) {
          const frame = this.nextFrame();
          if (frame === null) break;
          this.write(frame);
        }
      } while (this.again && !this.blocked && !this.stopped);
    } finally {
      this.pumping = false;
    }
  }

  private nextFrame(): Frame | null {
    const control = this.control.shift();
    if (control !== undefined) {
      if (control.droppable) this.droppable--;
      return control.frame;
    }
    while (this.ready.length > 0) {
      const source = this.ready.shift() as FrameSource;
      const frame = source.pullFrame();
      // A source that yields nothing leaves the queue whatever it claims; it wakes us again.
      if (frame !== null && source.hasFrames()) this.ready.push(source);
      else this.readySet.delete(source);
      if (frame !== null) return frame;
    }
    return null;
  }

  private write(frame: Frame): void {
    if (this.transport.destroyed || this.transport.writableEnded) return;
    if (!this.corked) {
      this.corked = true;
      this.transport.cork();
      process.nextTick(this.uncork);
    }
    if (!this.transport.write(encodeFrame(frame))) {
      this.blocked = true;
      this.transport.once('drain', this.onDrain);
    }
  }
}
