// Owns: tests of httpRequestParser.ts (and httpHead.ts through it): requests split at every byte, pipelining,
// creates held whole, and each reason to turn raw, always giving back every byte once and in order.
import { describe, expect, it } from 'vitest';
import { classifyRequest, MAX_CREATE_BODY_BYTES, MAX_HEAD_BYTES, RequestSplitter, targetPath, type Segment } from './httpRequestParser.ts';

const get = (path: string, extra = ''): string => `GET ${path} HTTP/1.1\r\nHost: docker\r\n${extra}\r\n`;
const post = (path: string, body: string, extra = ''): string =>
  `POST ${path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n${extra}Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`;
const createBody = JSON.stringify({ Image: 'alpine', HostConfig: { Binds: ['/opt:/o'] } });

/** Feed the input in pieces of the given sizes (cycled), then end it. */
function feed(input: string | Buffer, sizes: number[] = [input.length], end = true): Segment[] {
  const bytes = Buffer.isBuffer(input) ? input : Buffer.from(input, 'latin1');
  const s = new RequestSplitter();
  const out: Segment[] = [];
  for (let at = 0, i = 0; at < bytes.length; i++) {
    const n = Math.max(1, sizes[i % sizes.length]!);
    out.push(...s.push(bytes.subarray(at, at + n)));
    at += n;
  }
  if (end) out.push(...s.end());
  return out;
}

/** Every byte the segments give back, creates included: must equal the input. */
const joined = (segs: Segment[]): Buffer => Buffer.concat(segs.flatMap((s) => (s.kind === 'pass' || s.kind === 'create' ? [s.bytes] : [])));
/** Segments with adjacent passes merged, bytes as text: easy to compare. */
function shape(segs: Segment[]): unknown[] {
  const out: unknown[] = [];
  for (const s of segs) {
    const last = out.at(-1) as { pass?: string } | undefined;
    if (s.kind === 'pass' && last?.pass !== undefined) last.pass += s.bytes.toString('latin1');
    else if (s.kind === 'pass') out.push({ pass: s.bytes.toString('latin1') });
    else if (s.kind === 'create') out.push({ create: s.bytes.toString('latin1'), body: s.body.toString('latin1'), close: s.close });
    else if (s.kind === 'raw') out.push({ raw: s.why });
    else out.push({ request: `${s.method} ${s.path}` });
  }
  return out;
}

describe('RequestSplitter', () => {
  const conversation = get('/_ping') + post('/v1.41/containers/create?name=x', createBody) + post('/v1.41/containers/abc/start', '') + get('/v1.41/containers/json?all=1');

  it('splits pipelined requests and holds the create whole', () => {
    expect(shape(feed(conversation))).toEqual([
      { request: 'GET /_ping' },
      { pass: get('/_ping') },
      { create: post('/v1.41/containers/create?name=x', createBody), body: createBody, close: false },
      { request: 'POST /v1.41/containers/abc/start' },
      { pass: post('/v1.41/containers/abc/start', '') },
      { request: 'GET /v1.41/containers/json' },
      { pass: get('/v1.41/containers/json?all=1') },
      { raw: 'the client ended its side' },
    ]);
  });

  it('gives the same requests fed byte by byte, or in any pieces', () => {
    const whole = shape(feed(conversation));
    expect(shape(feed(conversation, [1]))).toEqual(whole);
    for (const sizes of [[2], [3, 7], [13, 1, 1], [64], [5, 200]]) expect(shape(feed(conversation, sizes))).toEqual(whole);
  });

  it('passes a plain request as soon as its request line is known, before its head is complete', () => {
    const s = new RequestSplitter();
    expect(shape(s.push(Buffer.from('GET /_pi')))).toEqual([]);
    expect(shape(s.push(Buffer.from('ng HTTP/1.1\r\nHo')))).toEqual([{ request: 'GET /_ping' }, { pass: 'GET /_ping HTTP/1.1\r\nHo' }]);
    expect(shape(s.push(Buffer.from('st: x\r\n\r\nPOST /containers/create HTTP/1.1\r\n')))).toEqual([{ pass: 'st: x\r\n\r\n' }]);
    expect(shape(s.push(Buffer.from('Content-Length: 2\r\n\r\n{')))).toEqual([]);
    expect(shape(s.push(Buffer.from('}GET')))).toEqual([{ create: 'POST /containers/create HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}', body: '{}', close: false }]);
  });

  it('passes request bodies by Content-Length, binary included', () => {
    const body = Buffer.from([0, 1, 2, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 0x80]);
    const input = Buffer.concat([Buffer.from(`PUT /v1.41/volumes/x HTTP/1.1\r\nContent-Length: ${body.length}\r\n\r\n`), body, Buffer.from(post('/containers/create', '{}'))]);
    const segs = feed(input, [1]);
    expect(joined(segs).equals(input)).toBe(true);
    expect(segs.filter((s) => s.kind === 'create')).toHaveLength(1);
  });

  it('a create without a body, or with Connection: close', () => {
    expect(shape(feed('POST /containers/create HTTP/1.1\r\nHost: d\r\n\r\n'))[0]).toEqual({ create: 'POST /containers/create HTTP/1.1\r\nHost: d\r\n\r\n', body: '', close: false });
    expect(shape(feed(post('/containers/create', '{}', 'Connection: keep-alive, Close\r\n')))[0]).toMatchObject({ close: true });
  });

  it('recognises creates by method and path only', () => {
    for (const t of ['/containers/create', '/v1.24/containers/create?name=a', '/v1.41/containers/create#x', 'http://docker/v1.41/containers/create', '/v1.41/containers/%63reate']) {
      expect(feed(post(t, '{}'))[0]!.kind).toBe('create');
    }
    for (const [m, t] of [['GET', '/containers/create'], ['post', '/containers/create'], ['POST', '/containers/create/'], ['POST', '/v1.41/containers/create/x'], ['POST', '/vx/containers/create'], ['POST', '//containers/create']]) {
      expect(feed(`${m} ${t} HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}`)[0]).toMatchObject({ kind: 'request' });
    }
  });

  it('holds nothing back at the end: a partial request comes back as it was', () => {
    for (const partial of ['POST /containers/cre', post('/containers/create', '{"Image":"x"}').slice(0, -3), 'POST /containers/create HTTP/1.1\r\nContent-Le', 'GET /_ping HTTP/1.1\r\nHost']) {
      for (const sizes of [[1], [1000]]) expect(joined(feed(partial, sizes)).toString('latin1')).toBe(partial);
    }
  });

  const rawCases: [string, string, RegExp][] = [
    ['chunked', 'POST /containers/create HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', /Transfer-Encoding/],
    ['Upgrade', 'POST /v1.41/containers/x/attach?stream=1 HTTP/1.1\r\nUpgrade: tcp\r\nConnection: Upgrade\r\n\r\n', /takes the connection over/],
    ['Upgrade on another path', 'POST /v1.41/exec/x/resize HTTP/1.1\r\nConnection: Upgrade\r\n\r\n', /Upgrade/],
    ['an Upgrade header alone', 'GET /x HTTP/1.1\r\nUpgrade: websocket\r\n\r\n', /Upgrade/],
    ['attach without Upgrade', 'POST /containers/x/attach HTTP/1.1\r\n\r\n', /takes the connection over/],
    ['attach websocket', 'GET /v1.41/containers/x/attach/ws HTTP/1.1\r\n\r\n', /takes the connection over/],
    ['exec start', 'POST /v1.44/exec/abc/start HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}', /takes the connection over/],
    ['build', 'POST /v1.41/build?t=x HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc', /takes the connection over/],
    ['images load', 'POST /images/load HTTP/1.1\r\n\r\n', /takes the connection over/],
    ['archive', 'PUT /containers/x/archive?path=/ HTTP/1.1\r\n\r\n', /takes the connection over/],
    ['session', 'POST /session HTTP/1.1\r\n\r\n', /takes the connection over/],
    ['grpc', 'POST /grpc HTTP/1.1\r\n\r\n', /takes the connection over/],
    ['CONNECT', 'CONNECT docker:2375 HTTP/1.1\r\n\r\n', /request line/],
    ['HTTP/1.0', 'GET /_ping HTTP/1.0\r\n\r\n', /request line/],
    ['garbage', '\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03', /request line/],
    ['an empty line first', '\r\nGET /_ping HTTP/1.1\r\n\r\n', /request line/],
    ['bare LF lines', 'POST /containers/create HTTP/1.1\nContent-Length: 2\n\n{}', /head that is not plain/],
    ['a folded header', 'GET / HTTP/1.1\r\nX: a\r\n b\r\n\r\n', /head that is not plain/],
    ['a header without a colon', 'GET / HTTP/1.1\r\nNoColon\r\n\r\n', /head that is not plain/],
    ['a space before the colon', 'GET / HTTP/1.1\r\nHost : x\r\n\r\n', /head that is not plain/],
    ['two Content-Lengths', 'POST /containers/create HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}', /Content-Length/],
    ['a bad Content-Length', 'POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n', /Content-Length/],
    ['Expect', 'POST /containers/create HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n{}', /Expect/],
    ['a bad escape', 'GET /containers/%zz HTTP/1.1\r\n\r\n', /request line/],
  ];
  for (const [name, first, why] of rawCases) {
    it(`turns raw on ${name}, and passes everything after it untouched`, () => {
      // What follows looks like a create: raw, it must pass as is.
      const tail = Buffer.concat([Buffer.from(post('/containers/create', createBody)), Buffer.from([0, 0xff, 0x0d, 0x0a, 0x0d, 0x0a, 1])]);
      const input = Buffer.concat([Buffer.from(get('/_ping')), Buffer.from(first, 'latin1'), tail]);
      for (const sizes of [[1], [input.length], [7, 3]]) {
        const segs = feed(input, sizes);
        expect(joined(segs).equals(input)).toBe(true);
        expect(segs.filter((s) => s.kind === 'create')).toEqual([]);
        const raws = segs.filter((s) => s.kind === 'raw');
        expect(raws[0]).toMatchObject({ why: expect.stringMatching(why) });
        expect(raws).toHaveLength(1);
      }
    });
  }

  it('turns raw on a head over 64 KiB, and takes one of exactly 64 KiB', () => {
    const head = (size: number): string => {
      const start = 'GET /x HTTP/1.1\r\nX-Pad: ';
      return `${start}${'a'.repeat(size - start.length - 4)}\r\n\r\n`;
    };
    const fits = head(MAX_HEAD_BYTES) + post('/containers/create', '{}');
    expect(feed(fits).map((s) => s.kind)).toEqual(['request', 'pass', 'pass', 'create', 'raw']);
    const over = head(MAX_HEAD_BYTES + 1) + post('/containers/create', '{}');
    const segs = feed(over, [4096]);
    expect(joined(segs).toString('latin1')).toBe(over);
    expect(segs.find((s) => s.kind === 'raw')).toMatchObject({ why: expect.stringMatching(/over 65536 bytes/) });
    const createOver = `POST /containers/create HTTP/1.1\r\nX-Pad: ${'a'.repeat(MAX_HEAD_BYTES)}\r\n\r\n`;
    expect(feed(createOver, [1000]).map((s) => s.kind)).toEqual(['pass', 'raw', 'pass']);
  });

  it('turns raw on a create body over 4 MiB, right at the head', () => {
    const s = new RequestSplitter();
    const head = `POST /containers/create HTTP/1.1\r\nContent-Length: ${MAX_CREATE_BODY_BYTES + 1}\r\n\r\n`;
    expect(shape(s.push(Buffer.from(`${head}{"Image"`)))).toEqual([{ pass: head }, { raw: expect.stringMatching(/over 4194304 bytes/) }, { pass: '{"Image"' }]);
    const fits = Buffer.from(post('/containers/create', `"${'x'.repeat(MAX_CREATE_BODY_BYTES - 2)}"`));
    expect(feed(fits, [65536]).map((x) => x.kind)).toEqual(['create', 'raw']);
  });
});

describe('classifyRequest and targetPath', () => {
  it('classifies by method and version-less path', () => {
    expect(classifyRequest('POST', '/v1.41/containers/create')).toBe('create');
    expect(classifyRequest('POST', '/containers/create')).toBe('create');
    expect(classifyRequest('POST', '/v1.41/containers/abc/attach')).toBe('hijack');
    expect(classifyRequest('POST', '/exec/abc/start')).toBe('hijack');
    expect(classifyRequest('POST', '/exec/abc/resize')).toBe('plain');
    expect(classifyRequest('GET', '/containers/abc/archive')).toBe('hijack');
    expect(classifyRequest('POST', '/build/prune')).toBe('hijack');
    expect(classifyRequest('CONNECT', '/')).toBe('hijack');
    expect(classifyRequest('GET', '/v1.41/containers/json')).toBe('plain');
  });

  it('reads origin and absolute forms, decoded', () => {
    expect(targetPath('/a/b?c=d')).toBe('/a/b');
    expect(targetPath('http://docker/v1.41/_ping?x')).toBe('/v1.41/_ping');
    expect(targetPath('http://docker')).toBe('/');
    expect(targetPath('/a%20b')).toBe('/a b');
    expect(targetPath('*')).toBeUndefined();
    expect(targetPath('docker:2375')).toBeUndefined();
    expect(targetPath('/%')).toBeUndefined();
  });
});
