// Follows a VM's serial console log as it grows: lines as they come, and waits for a marker
// line with a deadline that fails with the last lines printed (so a stuck boot says where it stuck).
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import { StringDecoder } from 'node:string_decoder';

type Waiter = { re: RegExp; from: number; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void; timer: NodeJS.Timeout };

/** How long after the last new bytes the follower keeps polling fast (a boot prints in bursts). */
const RECENT_MS = 3000;

export class ConsoleFollower {
  readonly lines: string[] = [];
  private offset = 0;
  private partial = '';
  /** Keeps a multi-byte UTF-8 character split across two reads whole. */
  private readonly decoder = new StringDecoder('utf8');
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private timerDelay = 0;
  private stopped = false;
  private lastGrowth: number;
  private buf: Buffer | undefined;
  private failure: Error | undefined;
  private readonly lineListeners = new Set<(line: string) => void>();

  /**
   * Polls every `pollMs` while a marker is awaited or the log grew in the last 3 s (a boot), and every
   * `idlePollMs` otherwise: a running VM's console is quiet for hours, and 20 reads a second of a file
   * that does not change were most of an idle berthd's wake-ups.
   */
  constructor(
    private readonly path: string,
    private readonly pollMs = 50,
    private readonly idlePollMs = 1000,
  ) {
    this.lastGrowth = Date.now();
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    const delay = this.waiters.size > 0 || Date.now() - this.lastGrowth < RECENT_MS ? this.pollMs : this.idlePollMs;
    if (this.timer && delay >= this.timerDelay) return; // the one pending is soon enough
    clearTimeout(this.timer);
    this.timerDelay = delay;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.poll();
      this.schedule();
    }, delay);
    this.timer.unref();
  }

  onLine(fn: (line: string) => void): () => void {
    this.lineListeners.add(fn);
    return () => this.lineListeners.delete(fn);
  }

  /** The last `n` lines, for error messages. */
  tail(n = 15): string {
    this.poll();
    return this.lines.slice(-n).join('\n');
  }

  /** Resolve with the first line (already seen or still to come, from line `from` on) matching `re`. */
  waitFor(re: RegExp, timeoutMs: number, from = 0): Promise<RegExpMatchArray> {
    this.poll();
    for (const line of this.lines.slice(from)) {
      const m = line.match(re);
      if (m) return Promise.resolve(m);
    }
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      const w: Waiter = {
        re,
        from,
        resolve,
        reject,
        timer: setTimeout(() => {
          this.waiters.delete(w);
          reject(new Error(`the VM console showed no line matching ${re} within ${(timeoutMs / 1000).toFixed(0)} s; its last lines:\n${this.tail()}`));
        }, timeoutMs),
      };
      this.waiters.add(w);
      this.schedule(); // back to the fast interval while someone waits
    });
  }

  /** Fail every waiter now (the VM exited); later waits fail at once with the same reason. */
  fail(reason: string): void {
    this.poll();
    this.failure = new Error(`${reason}; the VM console's last lines:\n${this.tail()}`);
    for (const w of this.waiters) {
      clearTimeout(w.timer);
      w.reject(this.failure);
    }
    this.waiters.clear();
  }

  stop(): void {
    this.poll();
    this.stopped = true;
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  poll(): void {
    let size: number;
    try {
      size = statSync(this.path).size;
    } catch {
      return; // not written yet
    }
    if (size <= this.offset) return; // nothing new: one stat, no open
    this.lastGrowth = Date.now();
    const fd = openSync(this.path, 'r');
    try {
      const buf = (this.buf ??= Buffer.allocUnsafe(64 * 1024));
      for (;;) {
        const n = readSync(fd, buf, 0, buf.length, this.offset);
        if (n <= 0) break;
        this.offset += n;
        // A terminal reset (ESC c, printed by the firmware) starts a fresh screen: a new line.
        this.partial += this.decoder.write(buf.subarray(0, n)).replaceAll('\x1bc', '\n');
      }
    } finally {
      closeSync(fd);
    }
    let nl: number;
    while ((nl = this.partial.indexOf('\n')) >= 0) {
      const line = printable(this.partial.slice(0, nl));
      this.partial = this.partial.slice(nl + 1);
      this.lines.push(line);
      for (const l of this.lineListeners) l(line);
      for (const w of this.waiters) {
        if (this.lines.length - 1 < w.from) continue;
        const m = line.match(w.re);
        if (m) {
          clearTimeout(w.timer);
          this.waiters.delete(w);
          w.resolve(m);
        }
      }
    }
  }
}

/** A console line without terminal escape sequences (firmware clears the screen) or control characters. */
export function printable(line: string): string {
  return (
    line
      // eslint-disable-next-line no-control-regex -- escape sequences are what is removed
      .replace(/\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)?|[@-Z\\-_a-z])/g, '')
      // eslint-disable-next-line no-control-regex -- so are other control characters (but tab)
      .replace(/[\x00-\x08\x0a-\x1f\x7f]/g, '')
  );
}
