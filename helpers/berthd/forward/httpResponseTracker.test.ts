// Owns: tests of httpResponseTracker.ts: Content-Length, chunked (with trailers), bodiless answers, interim
// 100s, read-until-close, and losing track on a 101, an unasked answer or a malformed head, at any split.
import { describe, expect, it } from 'vitest';
import { ResponseTracker } from './httpResponseTracker.ts';

/** Outstanding counts after each piece of `text` fed in pieces of `size` bytes. */
function track(methods: string[], text: string, size = text.length): ResponseTracker {
  const t = new ResponseTracker();
  for (const m of methods) t.expect(m);
  const bytes = Buffer.from(text, 'latin1');
  for (let at = 0; at < bytes.length; at += size) t.push(bytes.subarray(at, at + size));
  return t;
}

const ok = (body: string): string => `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
const chunked = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n1a;ext=1\r\nabcdefghijklmnopqrstuvwxyz\r\n0\r\n\r\n';
const chunkedTrailer = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\n\r\n\n\r\n0\r\nX-Trailer: 1\r\nY: 2\r\n\r\n';

describe('ResponseTracker', () => {
  it('counts answers that ended, at every split', () => {
    const text = ok('OK') + chunked + 'HTTP/1.1 204 No Content\r\n\r\n' + 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n' + chunkedTrailer + ok('');
    const methods = ['GET', 'GET', 'DELETE', 'HEAD', 'GET', 'GET', 'GET'];
    for (const size of [1, 2, 3, 7, 1000]) {
      const t = track(methods, text, size);
      expect(t.lost).toBe(false);
      expect(t.outstanding).toBe(1);
    }
  });

  it('is outstanding until the last body byte', () => {
    const t = track(['POST'], 'HTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\n{}\r');
    expect(t.outstanding).toBe(1);
    t.push(Buffer.from('\n'));
    expect(t.outstanding).toBe(0);
    const c = track(['GET'], chunked.slice(0, -1));
    expect(c.outstanding).toBe(1);
    c.push(Buffer.from('\n'));
    expect(c.outstanding).toBe(0);
  });

  it('waits past 1xx answers for the final one', () => {
    const t = track(['POST'], 'HTTP/1.1 100 Continue\r\n\r\n');
    expect(t.outstanding).toBe(1);
    t.push(Buffer.from(ok('x')));
    expect(t.outstanding).toBe(0);
    expect(t.lost).toBe(false);
  });

  it('a body read until close keeps its request outstanding', () => {
    for (const head of ['HTTP/1.1 200 OK\r\nContent-Type: application/vnd.docker.raw-stream\r\n\r\n', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n']) {
      const t = track(['GET'], `${head}${ok('looks like an answer')}`);
      expect(t.outstanding).toBe(1);
      expect(t.lost).toBe(false);
    }
  });

  it('304 and HEAD answers have no body even with a Content-Length', () => {
    expect(track(['HEAD', 'GET'], 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\n\r\n' + 'HTTP/1.1 304 Not Modified\r\nContent-Length: 5\r\n\r\n').outstanding).toBe(0);
  });

  const lost: [string, string[], string, RegExp][] = [
    ['101', ['GET'], 'HTTP/1.1 101 UPGRADED\r\nConnection: Upgrade\r\nUpgrade: tcp\r\n\r\n', /switched protocols/],
    ['an answer nobody asked for', [], ok('x'), /nobody asked/],
    ['a second answer too many', ['GET'], ok('x') + ok('y'), /nobody asked/],
    ['a malformed status line', ['GET'], 'HTTP/2 200\r\n\r\n', /not plain/],
    ['bare LF', ['GET'], 'HTTP/1.1 200 OK\nContent-Length: 0\n\n', /not plain/],
    ['two Content-Lengths', ['GET'], 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n', /Content-Length/],
    ['a bad chunk size', ['GET'], 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /chunk-size/],
    ['chunk data without CRLF', ['GET'], 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n', /CRLF/],
    ['a huge head', ['GET'], `HTTP/1.1 200 OK\r\nX: ${'a'.repeat(70_000)}`, /over 64 KiB/],
  ];
  for (const [name, methods, text, why] of lost) {
    it(`loses track on ${name}`, () => {
      for (const size of [1, 5000]) {
        const t = track(methods, text, size);
        expect(t.lost).toBe(true);
        expect(t.lostWhy).toMatch(why);
        // Lost stays lost, and expects nothing more.
        t.expect('GET');
        t.push(Buffer.from(ok('')));
        expect(t.outstanding).toBe(0);
      }
    });
  }

  it('stop() loses track on purpose', () => {
    const t = track(['GET'], '');
    t.stop('raw');
    expect(t.lost).toBe(true);
    expect(t.lostWhy).toBe('raw');
  });
});
