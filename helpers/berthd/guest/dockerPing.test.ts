// Owns: tests of dockerPing.ts with a fake opener whose streams answer like dockerd: a Content-Length
// /_ping and a chunked /version, a non-200 ping, a stream error, a timeout and answers that are not HTTP.

import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { pingDocker } from './dockerPing.ts';

/** How the fake dockerd answers one request: raw response pieces (then EOF), an error, or nothing. */
type Answer = { pieces: (string | Buffer)[] } | { error: Error } | 'silent';

class FakeDockerStream extends Duplex {
  request = '';
  ended = false;

  constructor(private readonly answer: (path: string) => Answer) {
    super({ allowHalfOpen: true });
  }
  override _read(): void {}
  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (e?: Error | null) => void): void {
    this.request += chunk.toString('utf8');
    if (this.request.includes('\r\n\r\n')) {
      const path = /^GET (\S+) HTTP\/1\.1\r\n/.exec(this.request)?.[1] ?? '?';
      const a = this.answer(path);
      if (a === 'silent') {
        /* say nothing */
      } else if ('error' in a) setImmediate(() => this.destroy(a.error));
      else {
        // Like a real socket: the answer comes in pieces, over a few ticks.
        let i = 0;
        const next = (): void => {
          if (i < a.pieces.length) {
            this.push(a.pieces[i++]);
            setImmediate(next);
          } else this.push(null);
        };
        setImmediate(next);
      }
    }
    cb();
  }
  override _final(cb: (e?: Error | null) => void): void {
    this.ended = true;
    cb();
  }
}

function opener(answer: (path: string) => Answer): { open: () => Duplex; streams: FakeDockerStream[] } {
  const streams: FakeDockerStream[] = [];
  return {
    streams,
    open: () => {
      const s = new FakeDockerStream(answer);
      streams.push(s);
      return s;
    },
  };
}

const pingOk = 'HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\nDocker-Experimental: false\r\nOstype: linux\r\nConnection: close\r\n\r\nOK';
const versionJson = JSON.stringify({ Version: '27.3.1', ApiVersion: '1.47', MinAPIVersion: '1.24', Os: 'linux', Arch: 'amd64', KernelVersion: '6.1.0' });

/** A body in HTTP/1.1 chunked encoding, cut into chunks of `size` bytes. */
function chunked(body: string, size: number, upperHex = false): string {
  let out = '';
  for (let i = 0; i < body.length; i += size) {
    const part = body.slice(i, i + size);
    const hex = Buffer.byteLength(part).toString(16);
    out += `${upperHex ? hex.toUpperCase() : hex}\r\n${part}\r\n`;
  }
  return `${out}0\r\n\r\n`;
}

const versionChunked = `HTTP/1.1 200 OK\r\nApi-Version: 1.47\r\nContent-Type: application/json\r\nDate: Mon, 01 Jan 2024 00:00:00 GMT\r\nConnection: close\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(`${versionJson}\n`, 17)}`;

function dockerd(overrides: Partial<Record<string, Answer>> = {}): (path: string) => Answer {
  return (path) =>
    overrides[path] ??
    (path === '/_ping'
      ? { pieces: [pingOk.slice(0, 20), pingOk.slice(20)] }
      : path === '/version'
        ? { pieces: [versionChunked.slice(0, 60), versionChunked.slice(60, 200), versionChunked.slice(200)] }
        : { pieces: ['HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n'] });
}

describe('pingDocker', () => {
  it('pings, then reads the version from a chunked /version, one stream each', async () => {
    const { open, streams } = opener(dockerd());
    expect(await pingDocker(open, 2000)).toEqual({ version: '27.3.1', apiVersion: '1.47' });
    expect(streams).toHaveLength(2);
    expect(streams[0]!.request).toBe('GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: berthd\r\nConnection: close\r\n\r\n');
    expect(streams[1]!.request).toBe('GET /version HTTP/1.1\r\nHost: docker\r\nUser-Agent: berthd\r\nConnection: close\r\n\r\n');
    // Each stream is ended from our side once dockerd has answered.
    expect(streams.every((s) => s.ended)).toBe(true);
  });

  it('reads a /version with a Content-Length body (HTTP/1.0 style answer)', async () => {
    const body = versionJson;
    const { open } = opener(
      dockerd({ '/version': { pieces: [`HTTP/1.0 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`] } }),
    );
    expect(await pingDocker(open, 2000)).toEqual({ version: '27.3.1', apiVersion: '1.47' });
  });

  it('decodes a chunked body cut into one-byte chunks, and one with chunk sizes in upper-case hex', async () => {
    const big = JSON.stringify({ Version: '28.0.0-rc.1', ApiVersion: '1.48', Components: [{ Name: 'Engine', Details: { pad: 'p'.repeat(300) } }] });
    const one = `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunked(big, 1)}`;
    const { open: oneOpen } = opener(dockerd({ '/version': { pieces: [one] } }));
    expect(await pingDocker(oneOpen, 2000)).toEqual({ version: '28.0.0-rc.1', apiVersion: '1.48' });
    const raw = `HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n${chunked(big, 250, true)}`;
    expect(raw).toMatch(/\r\nFA\r\n/);
    const { open } = opener(dockerd({ '/version': { pieces: [raw] } }));
    expect(await pingDocker(open, 2000)).toEqual({ version: '28.0.0-rc.1', apiVersion: '1.48' });
  });

  it('counts chunk sizes in bytes: a chunked body with non-ASCII text, split inside a character', async () => {
    const body = JSON.stringify({ Version: '27.3.1', ApiVersion: '1.47', Platform: { Name: 'Docker Engine – Communauté ✓' } });
    const raw = Buffer.from(`HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${chunked(body, 7)}`);
    const cut = raw.indexOf(Buffer.from('✓')) + 1;
    const { open } = opener(dockerd({ '/version': { pieces: [raw.subarray(0, cut), raw.subarray(cut)] } }));
    expect(await pingDocker(open, 2000)).toEqual({ version: '27.3.1', apiVersion: '1.47' });
  });

  it('says "unknown" for fields /version leaves out', async () => {
    const { open } = opener(dockerd({ '/version': { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}'] } }));
    expect(await pingDocker(open, 2000)).toEqual({ version: 'unknown', apiVersion: 'unknown' });
  });

  it('a non-200 ping is an error with the status and the start of the body; /version is not asked', async () => {
    const { open, streams } = opener(
      dockerd({ '/_ping': { pieces: ['HTTP/1.1 500 Internal Server Error\r\nContent-Length: 26\r\n\r\ndaemon is still starting..'] } }),
    );
    await expect(pingDocker(open, 2000)).rejects.toThrow('dockerd answered /_ping with 500 daemon is still starting..');
    expect(streams).toHaveLength(1);
  });

  it('a 200 ping whose body is not OK is an error', async () => {
    const { open } = opener(dockerd({ '/_ping': { pieces: ['HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\nNOPE'] } }));
    await expect(pingDocker(open, 2000)).rejects.toThrow('dockerd answered /_ping with 200 NOPE');
  });

  it('an answer that is not HTTP is an error naming the path', async () => {
    const { open } = opener(dockerd({ '/_ping': { pieces: ['SSH-2.0-OpenSSH_9.2\r\n'] } }));
    await expect(pingDocker(open, 2000)).rejects.toThrow('dockerd gave no HTTP answer to /_ping');
    const { open: emptyOpen } = opener(dockerd({ '/_ping': { pieces: [] } }));
    await expect(pingDocker(emptyOpen, 2000)).rejects.toThrow('dockerd gave no HTTP answer to /_ping');
  });

  it('a stream error is passed on', async () => {
    const { open } = opener(dockerd({ '/_ping': { error: new Error('guest link stream reset') } }));
    await expect(pingDocker(open, 2000)).rejects.toThrow('guest link stream reset');
    const { open: laterOpen } = opener(dockerd({ '/version': { error: new Error('stream 7 refused') } }));
    await expect(pingDocker(laterOpen, 2000)).rejects.toThrow('stream 7 refused');
  });

  it('an opener that throws is passed on', async () => {
    await expect(
      pingDocker(() => {
        throw new Error('the guest link is down');
      }, 2000),
    ).rejects.toThrow('the guest link is down');
  });

  it('times out when dockerd does not answer, and destroys the stream', async () => {
    const { open, streams } = opener(dockerd({ '/_ping': 'silent' }));
    const t0 = Date.now();
    await expect(pingDocker(open, 80)).rejects.toThrow('no answer to /_ping within 80 ms');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(streams[0]!.destroyed).toBe(true);
  });

  it('times out on /version too', async () => {
    const { open, streams } = opener(dockerd({ '/version': 'silent' }));
    await expect(pingDocker(open, 80)).rejects.toThrow('no answer to /version within 80 ms');
    expect(streams[1]!.destroyed).toBe(true);
  });
});
