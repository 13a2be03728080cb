// Owns: berthd's streamed calls from Node (CLI, dashboard bridge, Electron's main process) — POST over the
// control socket, the SSE answer read as items then `end` or `error`, every failure said as an ApiError.
import { request, type IncomingMessage } from 'node:http';
import { apiErrorSchema, streams, type ApiError, type StreamName } from '../api/controlApi.ts';
import type { StreamBody, StreamHandlers, StreamItem, Unsubscribe } from '../api/transport.ts';
import { ControlApiError } from './controlClient.ts';

/** One server-sent event: its `event:` field and its `data:` lines joined. */
export type SseFrame = { event: string; data: string };

/** Splits SSE text into frames across any chunk boundaries (LF or CRLF line ends; comments skipped). */
export class SseFrames {
  private rest = '';
  private event = '';
  private data: string[] = [];

  push(text: string): SseFrame[] {
    this.rest += text;
    const out: SseFrame[] = [];
    let nl: number;
    while ((nl = this.rest.indexOf('\n')) >= 0) {
      let line = this.rest.slice(0, nl);
      this.rest = this.rest.slice(nl + 1);
      if (line.endsWith('\r')) line = line.slice(0, -1);
      if (line === '') {
        if (this.data.length > 0 || this.event) out.push({ event: this.event || 'message', data: this.data.join('\n') });
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon < 0 ? line : line.slice(0, colon);
      const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
    }
    return out;
  }
}

function parseError(text: string, fallback: ApiError): ApiError {
  try {
    const e = apiErrorSchema.safeParse(JSON.parse(text));
    if (e.success) return e.data;
  } catch {
    // not JSON: the fallback says what happened
  }
  return fallback;
}

/**
 * Call a stream of `streams` on the berthd serving `socketPath`. `handlers.item` gets each item (checked
 * against the stream's schema; a malformed one is skipped), then `handlers.end` once — with an ApiError
 * when it failed. The returned function cancels the call (berthd stops it); `end` is not called after it.
 */
export function openStream<K extends StreamName>(socketPath: string, name: K, body: StreamBody<K>, handlers: StreamHandlers<StreamItem<K>>): Unsubscribe {
  const stream = streams[name];
  const payload = JSON.stringify(body);
  let ended = false;
  const end = (error?: ApiError): void => {
    if (ended) return;
    ended = true;
    req.destroy();
    handlers.end(error);
  };
  const req = request({ socketPath, method: stream.method, path: stream.path, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload), accept: 'text/event-stream' } }, (res: IncomingMessage) => {
    res.setEncoding('utf8');
    if (res.statusCode !== 200) {
      let text = '';
      res.on('data', (d: string) => (text += d));
      res.on('end', () => end(parseError(text, { code: 'bad-answer', message: `berthd answered ${res.statusCode} to ${name}`, hint: 'see berthd.log in $BERTH_HOME/logs' })));
      return;
    }
    const frames = new SseFrames();
    res.on('data', (d: string) => {
      for (const f of frames.push(d)) {
        if (ended) return;
        if (f.event === 'end') return end();
        if (f.event === 'error') return end(parseError(f.data, { code: 'stream-error', message: `the ${name} stream failed: ${f.data.slice(0, 200)}`, hint: 'see berthd.log in $BERTH_HOME/logs' }));
        if (f.event !== 'item') continue;
        try {
          const item = stream.item.safeParse(JSON.parse(f.data));
          if (item.success) handlers.item(item.data as StreamItem<K>);
        } catch {
          // a malformed item is skipped; the stream goes on
        }
      }
    });
    res.on('end', () => end({ code: 'stream-cut', message: `the ${name} stream ended before berthd said it was done`, hint: 'try again; if berthd restarted, see berthd.log in $BERTH_HOME/logs' }));
    res.on('error', () => undefined);
  });
  req.on('error', (e: NodeJS.ErrnoException) => {
    const absent = e.code === 'ENOENT' || e.code === 'ECONNREFUSED';
    end(absent ? { code: 'daemon-unreachable', message: `berthd is not running (${e.message})`, hint: 'start it with `berth start`' } : { code: 'stream-cut', message: `the ${name} stream broke: ${e.message}`, hint: 'try again' });
  });
  req.end(payload);
  return () => {
    ended = true;
    req.destroy();
  };
}

/** openStream as a promise: resolves at `end`, rejects with ControlApiError at `error`; `signal` cancels (resolves). */
export function runStream<K extends StreamName>(socketPath: string, name: K, body: StreamBody<K>, onItem: (item: StreamItem<K>) => void, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const cancel = openStream(socketPath, name, body, {
      item: onItem,
      end: (error) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(new ControlApiError(error.code, error.message, error.hint));
        else resolve();
      },
    });
    const onAbort = (): void => {
      cancel();
      resolve();
    };
    if (signal?.aborted) return onAbort();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
