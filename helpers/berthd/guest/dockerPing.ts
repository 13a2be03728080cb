// Asks dockerd, through one guest-link stream, whether it answers: GET /_ping then /version, as raw
// HTTP/1.1 with Connection: close, so it needs nothing but the stream.
import type { Duplex } from 'node:stream';

function request(open: () => Duplex, path: string, timeoutMs: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const s = open();
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`no answer to ${path} within ${timeoutMs} ms`));
    }, timeoutMs);
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    s.on('end', () => {
      clearTimeout(timer);
      s.end();
      // Bytes, not text: chunk sizes count bytes, and a character may be split across reads.
      const raw = Buffer.concat(chunks);
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(raw.toString('latin1', 0, 16));
      if (!m) return reject(new Error(`dockerd gave no HTTP answer to ${path}`));
      const bodyAt = raw.indexOf('\r\n\r\n');
      let body: Buffer = bodyAt >= 0 ? raw.subarray(bodyAt + 4) : Buffer.alloc(0);
      if (/\r\ntransfer-encoding: chunked/i.test(raw.toString('latin1', 0, Math.max(0, bodyAt)))) body = dechunk(body);
      resolve({ status: Number(m[1]), body: body.toString('utf8') });
    });
    s.write(`GET ${path} HTTP/1.1\r\nHost: docker\r\nUser-Agent: berthd\r\nConnection: close\r\n\r\n`);
  });
}

function dechunk(s: Buffer): Buffer {
  const out: Buffer[] = [];
  let i = 0;
  for (;;) {
    const nl = s.indexOf('\r\n', i);
    if (nl < 0) return Buffer.concat(out);
    const n = parseInt(s.toString('latin1', i, nl), 16);
    if (!n) return Buffer.concat(out);
    out.push(s.subarray(nl + 2, nl + 2 + n));
    i = nl + 2 + n + 2;
  }
}

/** `OK` from /_ping and the engine version from /version, or an error saying what failed. */
export async function pingDocker(open: () => Duplex, timeoutMs = 5000): Promise<{ version: string; apiVersion: string }> {
  const ping = await request(open, '/_ping', timeoutMs);
  if (ping.status !== 200 || ping.body.trim() !== 'OK') throw new Error(`dockerd answered /_ping with ${ping.status} ${ping.body.slice(0, 80)}`);
  const v = await request(open, '/version', timeoutMs);
  const parsed = JSON.parse(v.body) as { Version?: string; ApiVersion?: string };
  return { version: parsed.Version ?? 'unknown', apiVersion: parsed.ApiVersion ?? 'unknown' };
}
