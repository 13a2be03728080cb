// The CLI's client of berthd's control API: JSON over the unix socket (a named pipe on Windows: the
// caller passes BerthPaths.controlSocket, chosen by berthd/control/hostEndpoints.ts), responses checked
// against the shared schemas, API errors shown as "message" + "hint", and the server-sent event stream.
import { request } from 'node:http';
import type { z } from 'zod';
import { apiErrorSchema, apiEventSchema, routes, type ApiEvent } from '../api/controlApi.ts';

export class ControlApiError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export class DaemonUnreachable extends Error {}

export function call<K extends keyof typeof routes>(socketPath: string, name: K, body: unknown = {}, timeoutMs = 15 * 60_000): Promise<z.infer<(typeof routes)[K]['response']>> {
  const route = routes[name];
  return new Promise((resolve, reject) => {
    const payload = route.method === 'POST' ? JSON.stringify(body) : undefined;
    const req = request(
      { socketPath, path: route.path, method: route.method, headers: payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}, timeout: timeoutMs },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (text += d));
        res.on('end', () => {
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            return reject(new Error(`berthd answered ${res.statusCode} with something that is not JSON`));
          }
          if (res.statusCode !== 200) {
            const err = apiErrorSchema.safeParse(json);
            return reject(err.success ? new ControlApiError(err.data.code, err.data.message, err.data.hint) : new Error(`berthd answered ${res.statusCode}`));
          }
          const parsed = route.response.safeParse(json);
          if (!parsed.success) return reject(new Error(`berthd's answer to ${route.path} does not match the API: ${parsed.error.issues[0]?.message}`));
          resolve(parsed.data as z.infer<(typeof routes)[K]['response']>);
        });
      },
    );
    req.on('timeout', () => req.destroy(new Error(`berthd did not answer ${route.path} in time`)));
    req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? new DaemonUnreachable(e.message) : e));
    if (payload) req.write(payload);
    req.end();
  });
}

/**
 * Follow GET /v1/events; returns a function that stops following. `onEnd` is called once when the
 * stream ends by itself (berthd went away, or was never there), never after the returned stop.
 */
export function followEvents(socketPath: string, onEvent: (e: ApiEvent) => void, onEnd?: (error?: Error) => void): () => void {
  let done = false;
  const finish = (error?: Error): void => {
    if (done) return;
    done = true;
    onEnd?.(error);
  };
  const req = request({ socketPath, path: '/v1/events', method: 'GET' }, (res) => {
    if (res.statusCode !== 200) {
      res.resume();
      finish(new Error(`berthd answered ${res.statusCode} to /v1/events`));
      return;
    }
    res.on('end', () => finish());
    res.on('close', () => finish());
    let buf = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => {
      buf += d;
      let end: number;
      while ((end = buf.indexOf('\n\n')) >= 0) {
        const frame = buf.slice(0, end);
        buf = buf.slice(end + 2);
        const data = frame.split('\n').find((l) => l.startsWith('data: '));
        if (!data) continue;
        let json: unknown;
        try {
          json = JSON.parse(data.slice(6));
        } catch {
          continue; // a frame that is not JSON is skipped, not thrown out of this listener (it would crash the CLI)
        }
        const parsed = apiEventSchema.safeParse(json);
        if (parsed.success) onEvent(parsed.data);
      }
    });
  });
  req.on('error', (e) => finish(e));
  req.end();
  return () => {
    done = true;
    req.destroy();
  };
}
