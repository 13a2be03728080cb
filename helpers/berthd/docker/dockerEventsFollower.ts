// Owns: keeping one Docker events stream open — opened again with backoff (doubling to a cap) when it
// cannot be opened, fails, ends or closes. What the events mean, and what to do on (re)connect, is the caller's.

export type EventsFollowerHooks = {
  /** Opens the events stream (dockerode's getEvents with the caller's filters). */
  open: () => Promise<NodeJS.ReadableStream>;
  /** The stream could not be opened; another try follows after the backoff. */
  openFailed: (e: Error) => void;
  /** The stream is up, the first time or again: events may have been missed before. */
  connected: () => void;
  /** A chunk of Docker's JSON-lines events. */
  data: (chunk: Buffer | string) => void;
  /** The stream broke while followed (after the log line, before the next try is planned). */
  lost?: () => void;
  log: (m: string) => void;
};

export type EventsFollowerOptions = {
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Every chunk received starts the backoff again from its minimum. */
  resetBackoffOnData?: boolean;
};

export class DockerEventsFollower {
  private running = false;
  /** Bumped at every start and stop: a stream opened for an earlier run is dropped. */
  private generation = 0;
  private stream: NodeJS.ReadableStream | undefined;
  private reconnect: NodeJS.Timeout | undefined;
  private backoff: number;

  constructor(
    private readonly hooks: EventsFollowerHooks,
    private readonly opts: EventsFollowerOptions,
  ) {
    this.backoff = opts.minBackoffMs;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.generation++;
    this.backoff = this.opts.minBackoffMs;
    void this.connect();
  }

  /** Stop following: no more tries, and the open stream is destroyed. */
  stop(): void {
    this.running = false;
    this.generation++;
    if (this.reconnect) clearTimeout(this.reconnect);
    this.reconnect = undefined;
    const s = this.stream;
    this.stream = undefined;
    if (s) destroyStream(s);
  }

  private async connect(): Promise<void> {
    this.reconnect = undefined;
    if (!this.running) return;
    const generation = this.generation;
    const since = Date.now();
    let stream: NodeJS.ReadableStream;
    try {
      stream = await this.hooks.open();
    } catch (e) {
      this.hooks.openFailed(e as Error);
      this.retryLater();
      return;
    }
    if (!this.running || generation !== this.generation) return destroyStream(stream);
    this.stream = stream;
    this.hooks.connected();
    stream.on('data', (chunk: Buffer | string) => {
      if (this.opts.resetBackoffOnData) this.backoff = this.opts.minBackoffMs;
      this.hooks.data(chunk);
    });
    let ended = false;
    const onEnd = (why: string): void => {
      if (ended || this.stream !== stream) return;
      ended = true;
      this.stream = undefined;
      destroyStream(stream);
      if (!this.running) return;
      // A stream that stayed up a while starts the backoff again from its minimum.
      if (Date.now() - since >= this.opts.maxBackoffMs) this.backoff = this.opts.minBackoffMs;
      this.hooks.log(`Docker's event stream ${why}; following it again in ${this.backoff} ms`);
      this.hooks.lost?.();
      this.retryLater();
    };
    stream.on('error', (e: Error) => onEnd(`failed (${e.message})`));
    stream.on('end', () => onEnd('ended'));
    stream.on('close', () => onEnd('closed'));
  }

  private retryLater(): void {
    if (!this.running || this.reconnect) return;
    this.reconnect = setTimeout(() => void this.connect(), this.backoff);
    this.reconnect.unref();
    this.backoff = Math.min(this.backoff * 2, this.opts.maxBackoffMs);
  }
}

function destroyStream(s: NodeJS.ReadableStream): void {
  (s as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
}
