// Owns: reading server-sent events from a byte stream, as the HTML spec's event-stream parser does
// (frames split anywhere across chunks, CR/LF/CRLF line ends, comments, multi-line data). Pure.

export interface SseMessage {
  /** The `event:` field, or "message" when the frame had none. */
  event: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  id?: string;
}

/** Feed text chunks in order; each call returns the messages completed by that chunk. */
export class SseParser {
  private buffer = '';
  /** The last chunk ended with CR: an LF starting the next chunk belongs to that line end. */
  private pendingCr = false;
  private event = '';
  private data: string[] = [];
  private id: string | undefined;

  push(chunk: string): SseMessage[] {
    let text = chunk;
    if (this.pendingCr && text.startsWith('\n')) text = text.slice(1);
    this.pendingCr = false;
    this.buffer += text;
    const out: SseMessage[] = [];
    let start = 0;
    for (let i = 0; i < this.buffer.length; i++) {
      const c = this.buffer[i];
      if (c !== '\n' && c !== '\r') continue;
      const line = this.buffer.slice(start, i);
      if (c === '\r') {
        if (i + 1 === this.buffer.length) this.pendingCr = true;
        else if (this.buffer[i + 1] === '\n') i++;
      }
      start = i + 1;
      const message = this.line(line);
      if (message) out.push(message);
    }
    this.buffer = this.buffer.slice(start);
    return out;
  }

  /** The stream ended: an unterminated last frame is dropped, as the spec says. */
  end(): void {
    this.buffer = '';
    this.pendingCr = false;
    this.reset();
  }

  private line(line: string): SseMessage | undefined {
    if (line === '') return this.dispatch();
    if (line.startsWith(':')) return undefined;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    else if (field === 'id' && !value.includes('\0')) this.id = value;
    // `retry` and unknown fields: ignored (reconnection delays are the transport's own).
    return undefined;
  }

  private dispatch(): SseMessage | undefined {
    if (this.data.length === 0) {
      this.event = '';
      return undefined;
    }
    const message: SseMessage = { event: this.event === '' ? 'message' : this.event, data: this.data.join('\n') };
    if (this.id !== undefined) message.id = this.id;
    this.reset();
    return message;
  }

  private reset(): void {
    this.event = '';
    this.data = [];
  }
}

/** Bytes in, messages out: UTF-8 decoded across chunk boundaries (a character split over two chunks stays whole). */
export class SseByteParser {
  private readonly decoder = new TextDecoder('utf-8');
  private readonly parser = new SseParser();

  push(bytes: Uint8Array): SseMessage[] {
    return this.parser.push(this.decoder.decode(bytes, { stream: true }));
  }

  end(): SseMessage[] {
    const rest = this.parser.push(this.decoder.decode());
    this.parser.end();
    return rest;
  }
}
