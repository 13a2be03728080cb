// Owns: the HTTP/1.1 message head, shared by the request splitter and the response tracker: finding its end
// across chunks under a size limit (HeadScanner), and reading it strictly (CRLF lines, token names, no folding).

const LF = 0x0a;
const CR = 0x0d;

/** What a scan stopped at: the first line's LF, the blank line ending the head, the chunk's end, or the limit. */
export type ScanStop = 'line' | 'head' | 'more' | 'too-big';

/** Collects one message head from a byte stream, chunk by chunk, without copying more than the head. */
export class HeadScanner {
  private parts: Buffer[] = [];
  private size = 0;
  /** 0: inside a line; 1: just after an LF; 2: just after an LF then CR. */
  private afterLf = 0;
  private firstLineDone = false;

  constructor(private readonly limit: number) {}

  get length(): number {
    return this.size;
  }

  /**
   * Take bytes of `chunk` from `at` up to the head's end (an empty line, CRLF or bare LF), or up to the first
   * line's end when `stopAtLine`; `taken` says how many were taken, `stop` why it stopped.
   */
  scan(chunk: Buffer, at: number, stopAtLine = false): { taken: number; stop: ScanStop } {
    for (let i = at; i < chunk.length; i++) {
      if (this.size + (i - at) + 1 > this.limit) return this.take(chunk, at, i, 'too-big');
      const b = chunk[i];
      if (b === LF) {
        if (this.afterLf !== 0) return this.take(chunk, at, i + 1, 'head');
        this.afterLf = 1;
        if (!this.firstLineDone) {
          this.firstLineDone = true;
          if (stopAtLine) return this.take(chunk, at, i + 1, 'line');
        }
      } else this.afterLf = b === CR && this.afterLf === 1 ? 2 : 0;
    }
    return this.take(chunk, at, chunk.length, 'more');
  }

  /** The bytes taken so far. */
  bytes(): Buffer {
    return this.parts.length === 1 ? this.parts[0]! : Buffer.concat(this.parts, this.size);
  }

  reset(): void {
    this.parts = [];
    this.size = 0;
    this.afterLf = 0;
    this.firstLineDone = false;
  }

  private take(chunk: Buffer, from: number, to: number, stop: ScanStop): { taken: number; stop: ScanStop } {
    if (to > from) {
      this.parts.push(chunk.subarray(from, to));
      this.size += to - from;
    }
    return { taken: to - from, stop };
  }
}

export type Head = { startLine: string; headers: Map<string, string[]> };

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** A complete head (start line, header lines, blank line, all CRLF): header names lower-cased; undefined if not plain. */
export function parseHead(bytes: Buffer): Head | undefined {
  const text = bytes.toString('latin1');
  if (!text.endsWith('\r\n\r\n')) return undefined;
  const lines = text.slice(0, -4).split('\r\n');
  const startLine = lines.shift()!;
  if (/[\r\n]/.test(text.slice(0, -4).replace(/\r\n/g, ''))) return undefined;
  const headers = new Map<string, string[]>();
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    // No colon, a space before it (or obs-fold, which starts with one): not plain.
    if (colon <= 0 || !TOKEN.test(name)) return undefined;
    const value = line.slice(colon + 1).replace(/^[ \t]+|[ \t]+$/g, '');
    const key = name.toLowerCase();
    headers.set(key, [...(headers.get(key) ?? []), value]);
  }
  return { startLine, headers };
}

/** The comma-separated tokens of every value of a header, lower-cased. */
export const headerTokens = (head: Head, name: string): string[] =>
  (head.headers.get(name) ?? []).flatMap((v) => v.split(',')).map((t) => t.trim().toLowerCase()).filter((t) => t !== '');

/** The one Content-Length of a head: 0 when absent, undefined when repeated or not a plain number. */
export function contentLength(head: Head): number | undefined {
  const values = head.headers.get('content-length');
  if (!values) return 0;
  if (values.length !== 1 || !/^\d{1,15}$/.test(values[0]!)) return undefined;
  return Number(values[0]);
}
