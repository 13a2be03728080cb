// Owns: turning the bytes of Docker's log endpoint into lines — demultiplexing the 8-byte framed
// stdout/stderr of a non-TTY container, raw bytes for a TTY one — across any chunk boundaries. Pure.
import { StringDecoder } from 'node:string_decoder';
import type { LogLine } from '../../api/docker.ts';

/** A line longer than this is handed on in pieces rather than held without end. */
export const MAX_LINE_CHARS = 64 * 1024;

/** Splits one stream's bytes into lines (LF or CRLF), keeping UTF-8 characters whole across chunks. */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private rest = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(bytes: Buffer): void {
    this.rest += this.decoder.write(bytes);
    let nl: number;
    while ((nl = this.rest.indexOf('\n')) >= 0) {
      const line = this.rest.slice(0, nl);
      this.rest = this.rest.slice(nl + 1);
      this.onLine(line.endsWith('\r') ? line.slice(0, -1) : line);
    }
    while (this.rest.length > MAX_LINE_CHARS) {
      this.onLine(this.rest.slice(0, MAX_LINE_CHARS));
      this.rest = this.rest.slice(MAX_LINE_CHARS);
    }
  }

  /** The stream ended: a last line without a newline is still a line. */
  end(): void {
    this.rest += this.decoder.end();
    if (this.rest !== '') this.onLine(this.rest.endsWith('\r') ? this.rest.slice(0, -1) : this.rest);
    this.rest = '';
  }
}

/**
 * Docker's log bytes → lines. Without a TTY Docker frames every write: 1 byte stream (1 stdout, 2 stderr),
 * 3 zero bytes, a 4-byte big-endian length, then the payload. A TTY container's log is the raw
 * terminal output (stdout only). A header that is not a frame (a TTY log read as framed) switches to raw.
 */
export class DockerLogDecoder {
  private buffer: Buffer = Buffer.alloc(0);
  private raw: boolean;
  private readonly out: Record<LogLine['stream'], LineSplitter>;

  constructor(tty: boolean, onLine: (line: LogLine) => void) {
    this.raw = tty;
    this.out = {
      stdout: new LineSplitter((line) => onLine({ stream: 'stdout', line })),
      stderr: new LineSplitter((line) => onLine({ stream: 'stderr', line })),
    };
  }

  push(chunk: Buffer): void {
    if (this.raw) return this.out.stdout.push(chunk);
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    while (this.buffer.length >= 8) {
      const kind = this.buffer[0]!;
      if (kind > 2 || this.buffer[1] !== 0 || this.buffer[2] !== 0 || this.buffer[3] !== 0) {
        this.raw = true;
        const rest = this.buffer;
        this.buffer = Buffer.alloc(0);
        return this.out.stdout.push(rest);
      }
      const length = this.buffer.readUInt32BE(4);
      if (this.buffer.length < 8 + length) return;
      const payload = this.buffer.subarray(8, 8 + length);
      this.buffer = this.buffer.subarray(8 + length);
      this.out[kind === 2 ? 'stderr' : 'stdout'].push(payload);
    }
  }

  end(): void {
    // A frame cut short (the connection broke) still carries output: show it rather than drop it.
    const cut = this.buffer;
    this.buffer = Buffer.alloc(0);
    if (cut.length > 8) this.out[cut[0] === 2 ? 'stderr' : 'stdout'].push(cut.subarray(8));
    this.out.stdout.end();
    this.out.stderr.end();
  }
}
