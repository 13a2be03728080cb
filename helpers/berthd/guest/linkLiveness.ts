// Owns: the guest link's liveness — a PING with 8 random bytes every interval, matching PONGs, and
// the down/up transitions when no PONG (or HELLO) arrives within the timeout.
import { randomBytes } from 'node:crypto';
import { PING_SIZE } from './frameCodec.ts';

export type LivenessOptions = { pingIntervalMs: number; livenessTimeoutMs: number };
export type LivenessHooks = { ping(payload: Buffer): void; down(): void; up(): void };

export class LinkLiveness {
  /** Payloads of recent PINGs still worth a PONG, oldest first. */
  private readonly outstanding: Buffer[] = [];
  private readonly maxOutstanding: number;
  private pinger: NodeJS.Timeout | null = null;
  private deadline: NodeJS.Timeout | null = null;
  private down = false;
  private running = false;

  constructor(
    private readonly options: LivenessOptions,
    private readonly hooks: LivenessHooks,
  ) {
    this.maxOutstanding = Math.max(4, Math.ceil(options.livenessTimeoutMs / options.pingIntervalMs) + 1);
  }

  get isDown(): boolean {
    return this.down;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.pinger = setInterval(() => this.ping(), this.options.pingIntervalMs);
    this.pinger.unref();
    this.armDeadline();
    this.ping();
  }

  stop(): void {
    this.running = false;
    if (this.pinger !== null) clearInterval(this.pinger);
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.pinger = null;
    this.deadline = null;
    this.outstanding.length = 0;
  }

  /** A PONG arrived: it proves liveness when it echoes one of our recent PINGs. */
  pong(payload: Buffer): void {
    const i = this.outstanding.findIndex((p) => p.equals(payload));
    if (i < 0) return;
    this.outstanding.splice(0, i + 1);
    this.alive();
  }

  /** The peer showed it is there (a matching PONG or a HELLO). */
  alive(): void {
    if (!this.running) return;
    this.armDeadline();
    if (this.down) {
      this.down = false;
      this.hooks.up();
    }
  }

  private ping(): void {
    const payload = randomBytes(PING_SIZE);
    this.outstanding.push(payload);
    if (this.outstanding.length > this.maxOutstanding) this.outstanding.shift();
    this.hooks.ping(payload);
  }

  private armDeadline(): void {
    if (this.deadline !== null) clearTimeout(this.deadline);
    this.deadline = setTimeout(() => {
      this.deadline = null;
      if (!this.down && this.running) {
        this.down = true;
        this.hooks.down();
      }
    }, this.options.livenessTimeoutMs);
    this.deadline.unref();
  }
}
