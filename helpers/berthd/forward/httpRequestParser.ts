// Owns: splitting the client→dockerd bytes of one connection into HTTP/1.1 requests (no I/O): container
// creates are held whole for a decision, everything else passes at once, anything unusual turns the rest raw.
import { contentLength, headerTokens, HeadScanner, parseHead, type Head } from './httpHead.ts';

export const MAX_HEAD_BYTES = 64 * 1024;
export const MAX_CREATE_BODY_BYTES = 4 * 1024 * 1024;

/**
 * In order: `pass` bytes go to dockerd unchanged; `request` says a forwarded request began (its head follows
 * as `pass`); `create` is a whole container create (head and body) for the caller to forward or answer;
 * `raw` says every later byte comes as `pass`, unparsed.
 */
export type Segment =
  | { kind: 'pass'; bytes: Buffer }
  | { kind: 'request'; method: string; path: string }
  | { kind: 'create'; bytes: Buffer; body: Buffer; close: boolean }
  | { kind: 'raw'; why: string };

export type RequestKind = 'create' | 'hijack' | 'plain';

const VERSION = /^\/v[0-9.]+(?=\/)/;
const CREATE = /^\/containers\/create$/;
/** Requests whose connection dockerd takes over (or streams a tar or session through) even without Upgrade. */
const HIJACK = /^\/(containers\/[^/]+\/(attach|archive)(\/.*)?|exec\/[^/]+\/start|build(\/.*)?|images\/load|session(\/.*)?|grpc(\/.*)?)$/;

/** The decoded path of a request target (origin or absolute form), or undefined for other forms or bad escapes. */
export function targetPath(target: string): string | undefined {
  const m = /^(?:https?:\/\/[^/?#]*)?(\/[^?#]*)/i.exec(target) ?? (/^https?:\/\/[^/?#]*(?:[?#]|$)/i.test(target) ? ['', '/'] : undefined);
  if (!m) return undefined;
  try {
    return decodeURIComponent(m[1]!);
  } catch {
    return undefined;
  }
}

/** How the guard treats a request: a container create, a request that takes the connection over, or plain. */
export function classifyRequest(method: string, path: string): RequestKind {
  const bare = path.replace(VERSION, '');
  if (method === 'CONNECT' || HIJACK.test(bare)) return 'hijack';
  return method === 'POST' && CREATE.test(bare) ? 'create' : 'plain';
}

type State = 'line' | 'head' | 'body' | 'createBody' | 'raw';

/** Feed it the client's bytes with push(); it returns what to do with them, in order. */
export class RequestSplitter {
  private state: State = 'line';
  private readonly head = new HeadScanner(MAX_HEAD_BYTES);
  /** The current request is a create: its bytes are held, not passed. */
  private holding = false;
  private remaining = 0;
  private createHead: Buffer | undefined;
  private createClose = false;
  private body: Buffer[] = [];

  get raw(): boolean {
    return this.state === 'raw';
  }

  push(chunk: Buffer): Segment[] {
    const out: Segment[] = [];
    let at = 0;
    while (at < chunk.length) {
      if (this.state === 'raw') {
        out.push({ kind: 'pass', bytes: chunk.subarray(at) });
        break;
      }
      if (this.state === 'body' || this.state === 'createBody') {
        const n = Math.min(this.remaining, chunk.length - at);
        const bytes = chunk.subarray(at, at + n);
        at += n;
        this.remaining -= n;
        if (this.state === 'body') out.push({ kind: 'pass', bytes });
        else this.body.push(bytes);
        if (this.remaining === 0) this.finishBody(out);
        continue;
      }
      at = this.scanHead(chunk, at, out);
    }
    return out;
  }

  /** The client's EOF: whatever is held goes on unchanged (dockerd sees the same truncated request). */
  end(): Segment[] {
    return this.goRaw([], 'the client ended its side');
  }

  /** Stop parsing: the held bytes come back as `pass`, and every later byte too. */
  goRaw(out: Segment[], why: string): Segment[] {
    if (this.state === 'raw') return out;
    const held = this.state === 'createBody' ? [this.createHead!, ...this.body] : this.holding || this.state === 'line' ? [this.head.bytes()] : [];
    for (const bytes of held) if (bytes.length > 0) out.push({ kind: 'pass', bytes });
    this.head.reset();
    this.body = [];
    this.createHead = undefined;
    this.state = 'raw';
    out.push({ kind: 'raw', why });
    return out;
  }

  /** Scan head bytes from `at`; returns where the next state starts in `chunk`. */
  private scanHead(chunk: Buffer, at: number, out: Segment[]): number {
    const { taken, stop } = this.head.scan(chunk, at, this.state === 'line');
    const end = at + taken;
    if (this.state === 'head' && !this.holding && taken > 0) out.push({ kind: 'pass', bytes: chunk.subarray(at, end) });
    if (stop === 'too-big') {
      this.goRaw(out, `a request head over ${MAX_HEAD_BYTES} bytes`);
      return end;
    }
    if (stop === 'line') this.startRequest(out);
    else if (stop === 'head') this.endHead(out);
    return end;
  }

  /** The request line is in: decide to hold (a create), pass, or go raw. */
  private startRequest(out: Segment[]): void {
    const line = this.head.bytes().toString('latin1').replace(/\r?\n$/, '');
    const m = /^([!#$%&'*+\-.^_`|~0-9A-Za-z]+) (\S+) HTTP\/1\.1$/.exec(line);
    const path = m ? targetPath(m[2]!) : undefined;
    if (!m || path === undefined) {
      this.goRaw(out, 'a request line that is not plain HTTP/1.1');
      return;
    }
    const kind = classifyRequest(m[1]!, path);
    if (kind === 'hijack') {
      this.goRaw(out, `${m[1]} ${path} takes the connection over`);
      return;
    }
    this.state = 'head';
    this.holding = kind === 'create';
    if (!this.holding) {
      out.push({ kind: 'request', method: m[1]!, path });
      out.push({ kind: 'pass', bytes: this.head.bytes() });
    }
  }

  private endHead(out: Segment[]): void {
    const bytes = this.head.bytes();
    const head = parseHead(bytes);
    const why = head ? unplain(head) : 'a request head that is not plain';
    const length = head && !why ? contentLength(head) : undefined;
    if (why || length === undefined) {
      this.goRaw(out, why ?? 'a Content-Length that is not one plain number');
      return;
    }
    if (this.holding && length > MAX_CREATE_BODY_BYTES) {
      this.goRaw(out, `a container create body over ${MAX_CREATE_BODY_BYTES} bytes`);
      return;
    }
    this.head.reset();
    this.remaining = length;
    if (this.holding) {
      this.createHead = bytes;
      this.createClose = headerTokens(head!, 'connection').includes('close');
    }
    this.state = this.holding ? 'createBody' : 'body';
    if (length === 0) this.finishBody(out);
  }

  private finishBody(out: Segment[]): void {
    if (this.state === 'createBody') {
      const body = Buffer.concat(this.body);
      out.push({ kind: 'create', bytes: Buffer.concat([this.createHead!, body]), body, close: this.createClose });
      this.body = [];
      this.createHead = undefined;
    }
    this.holding = false;
    this.state = 'line';
  }
}

/** Why a request head is not safe to frame by Content-Length, or undefined when it is. */
function unplain(head: Head): string | undefined {
  if (head.headers.has('transfer-encoding')) return 'a Transfer-Encoding body';
  if (head.headers.has('upgrade') || headerTokens(head, 'connection').includes('upgrade')) return 'an Upgrade request';
  if (head.headers.has('expect')) return 'an Expect header';
  return undefined;
}
