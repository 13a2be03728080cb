// Owns: following dockerd's responses on one connection without touching them (no I/O): how many forwarded
// requests still await their final response, so the guard's own answer can wait its turn; lost on anything odd.
import { contentLength, headerTokens, HeadScanner, parseHead } from './httpHead.ts';

const MAX_RESPONSE_HEAD = 64 * 1024;
const MAX_CHUNK_LINE = 4096;

type State = 'head' | 'body' | 'size' | 'data' | 'crlf' | 'trailer' | 'untilClose' | 'lost';

export class ResponseTracker {
  /** Methods of forwarded requests whose final response has not ended yet, oldest first. */
  private readonly awaiting: string[] = [];
  private state: State = 'head';
  private readonly head = new HeadScanner(MAX_RESPONSE_HEAD);
  private remaining = 0;
  private line = '';
  private afterLf = 0;
  /** Why the responses can no longer be followed; once set, it stays. */
  lostWhy: string | undefined;

  /** A request went to dockerd: one more response to wait for. */
  expect(method: string): void {
    if (this.state !== 'lost') this.awaiting.push(method);
  }

  /** Requests forwarded whose response has not fully arrived (one read until close stays outstanding). */
  get outstanding(): number {
    return this.awaiting.length;
  }

  get lost(): boolean {
    return this.state === 'lost';
  }

  /** Stop following: the connection is raw from here on. */
  stop(why: string): void {
    this.lose(why);
  }

  /** Bytes dockerd sent to the client. */
  push(chunk: Buffer): void {
    let at = 0;
    while (at < chunk.length && this.state !== 'lost' && this.state !== 'untilClose') {
      if (this.state === 'head') at = this.scanHead(chunk, at);
      else if (this.state === 'body' || this.state === 'data') {
        const n = Math.min(this.remaining, chunk.length - at);
        at += n;
        this.remaining -= n;
        if (this.remaining > 0) continue;
        if (this.state === 'body') this.done();
        else this.startLine('crlf');
      } else at = this.scanLine(chunk, at);
    }
  }

  private scanHead(chunk: Buffer, at: number): number {
    const { taken, stop } = this.head.scan(chunk, at);
    if (stop === 'too-big') this.lose('a response head over 64 KiB');
    if (stop !== 'head') return at + taken;
    const head = parseHead(this.head.bytes());
    this.head.reset();
    const status = head ? /^HTTP\/1\.[01] (\d{3})(?: .*)?$/.exec(head.startLine) : null;
    if (!head || !status) {
      this.lose('a response head that is not plain');
      return at + taken;
    }
    const code = Number(status[1]);
    if (code === 101) this.lose('dockerd switched protocols');
    else if (code < 200) return at + taken; // 100 Continue and the like: the final response follows.
    else if (this.awaiting.length === 0) this.lose('a response nobody asked for');
    else if (this.awaiting[0] === 'HEAD' || code === 204 || code === 304) this.done();
    else if (head.headers.has('transfer-encoding')) {
      if (headerTokens(head, 'transfer-encoding').at(-1) === 'chunked') this.startLine('size');
      else this.state = 'untilClose';
    } else if (head.headers.has('content-length')) {
      const length = contentLength(head);
      if (length === undefined) this.lose('a response Content-Length that is not one plain number');
      else if (length === 0) this.done();
      else {
        this.remaining = length;
        this.state = 'body';
      }
    } else this.state = 'untilClose';
    return at + taken;
  }

  private startLine(state: 'size' | 'crlf' | 'trailer'): void {
    this.state = state;
    this.line = '';
    this.afterLf = state === 'trailer' ? 1 : 0;
  }

  /** A chunk-size line, the CRLF after chunk data, or the trailer section (lines up to an empty one). */
  private scanLine(chunk: Buffer, at: number): number {
    let i = at;
    for (; i < chunk.length; i++) {
      const c = chunk[i]!;
      if (this.line.length >= MAX_CHUNK_LINE) {
        this.lose('a chunk line over 4 KiB');
        return i;
      }
      this.line += String.fromCharCode(c);
      if (this.state === 'trailer') {
        if (c === 0x0a && this.afterLf !== 0) {
          this.done();
          return i + 1;
        }
        this.afterLf = c === 0x0a ? 1 : c === 0x0d && this.afterLf === 1 ? 2 : 0;
        if (c === 0x0a) this.line = '';
        continue;
      }
      if (c !== 0x0a) continue;
      const line = this.line;
      if (this.state === 'crlf') {
        if (line === '\r\n') this.startLine('size');
        else this.lose('chunk data not followed by CRLF');
        return i + 1;
      }
      const size = /^([0-9a-fA-F]{1,13})(;[^\r\n]*)?\r\n$/.exec(line);
      if (!size) this.lose('a chunk-size line that is not plain');
      else if ((this.remaining = parseInt(size[1]!, 16)) === 0) this.startLine('trailer');
      else this.state = 'data';
      return i + 1;
    }
    return i;
  }

  private done(): void {
    this.awaiting.shift();
    this.state = 'head';
  }

  private lose(why: string): void {
    if (this.state === 'lost') return;
    this.state = 'lost';
    this.lostWhy = why;
    this.awaiting.length = 0;
  }
}
