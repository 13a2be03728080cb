// Owns: the FrameDecoder's input buffer — a list of received chunks read from the front without
// re-copying what stays buffered, so feeding a frame in many small pieces costs linear time.

export class ByteQueue {
  private chunks: Buffer[] = [];
  /** Index of the first live chunk in `chunks` (spent chunks before it are dropped lazily). */
  private first = 0;
  /** Offset of the first unread byte inside chunks[first]. */
  private offset = 0;
  private size = 0;

  get length(): number {
    return this.size;
  }

  push(chunk: Buffer): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.size += chunk.length;
  }

  clear(): void {
    this.chunks = [];
    this.first = 0;
    this.offset = 0;
    this.size = 0;
  }

  /** The byte at position i (0 = first unread byte); i must be < length. */
  byteAt(i: number): number {
    let pos = i + this.offset;
    for (let c = this.first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c] as Buffer;
      if (pos < chunk.length) return chunk[pos] as number;
      pos -= chunk.length;
    }
    throw new RangeError(`byteAt(${i}) past the end of ${this.size} buffered bytes`);
  }

  /** Position (≥ from) of the first occurrence of `byte`, or -1. */
  indexOf(byte: number, from = 0): number {
    let base = 0;
    for (let c = this.first; c < this.chunks.length; c++) {
      const chunk = this.chunks[c] as Buffer;
      const start = c === this.first ? this.offset : 0;
      const len = chunk.length - start;
      if (from < base + len) {
        const at = chunk.indexOf(byte, start + Math.max(0, from - base));
        if (at >= 0) return base + at - start;
      }
      base += len;
    }
    return -1;
  }

  /** Copy of the first n bytes without consuming them (n ≤ length). */
  peek(n: number): Buffer {
    return this.collect(n, false);
  }

  /** Consume and return the first n bytes: a view when they lie in one chunk, else a copy. */
  read(n: number): Buffer {
    return this.collect(n, true);
  }

  skip(n: number): void {
    if (n > this.size) throw new RangeError(`skip(${n}) past the end of ${this.size} buffered bytes`);
    this.size -= n;
    while (n > 0) {
      const chunk = this.chunks[this.first] as Buffer;
      const avail = chunk.length - this.offset;
      if (n < avail) {
        this.offset += n;
        return;
      }
      n -= avail;
      this.dropFirst();
    }
  }

  private collect(n: number, consume: boolean): Buffer {
    if (n > this.size) throw new RangeError(`read(${n}) past the end of ${this.size} buffered bytes`);
    const head = this.chunks[this.first];
    if (head !== undefined && head.length - this.offset >= n) {
      const view = head.subarray(this.offset, this.offset + n);
      if (consume) this.skip(n);
      return consume ? view : Buffer.from(view);
    }
    const out = Buffer.allocUnsafe(n);
    let copied = 0;
    let c = this.first;
    let start = this.offset;
    while (copied < n) {
      const chunk = this.chunks[c] as Buffer;
      const take = Math.min(n - copied, chunk.length - start);
      chunk.copy(out, copied, start, start + take);
      copied += take;
      c++;
      start = 0;
    }
    if (consume) this.skip(n);
    return out;
  }

  private dropFirst(): void {
    this.chunks[this.first] = EMPTY;
    this.first++;
    this.offset = 0;
    if (this.first === this.chunks.length) {
      this.chunks = [];
      this.first = 0;
    } else if (this.first >= 1024 && this.first * 2 >= this.chunks.length) {
      this.chunks = this.chunks.slice(this.first);
      this.first = 0;
    }
  }
}

const EMPTY = Buffer.alloc(0);
