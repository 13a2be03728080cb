// Owns: tests of frameCodec.ts — every shared vector (whole, one byte at a time, random splits),
// encoder checks, the HELLO resync mode and linear cost for frames fed in tiny pieces.
import { describe, expect, it } from 'vitest';
import { encodeFrame, FrameDecoder, HELLO_HEADER, INITIAL_WINDOW, LinkProtocolError, MAX_PAYLOAD, type Frame } from './frameCodec.ts';
import { loadLinkVectors } from './linkVectors.ts';
import { seededPrng } from './seededPrng.ts';

const vectors = loadLinkVectors();
const hex = (frames: Frame[]) => frames.map((f) => ({ type: f.type, stream: f.stream, payload: f.payload.toString('hex') }));

/** Feed `bytes` cut at the given sizes; returns the frames, or the error's code. */
function feed(bytes: Buffer, sizes: Iterable<number>): { frames: Frame[]; error?: string } {
  const d = new FrameDecoder();
  const frames: Frame[] = [];
  let at = 0;
  try {
    for (const n of sizes) {
      frames.push(...d.push(bytes.subarray(at, at + n)));
      at += n;
    }
    frames.push(...d.push(bytes.subarray(at)));
  } catch (e) {
    if (!(e instanceof LinkProtocolError)) throw e;
    return { frames, error: e.code };
  }
  return { frames };
}
const whole = (b: Buffer) => feed(b, []);
const byteByByte = (b: Buffer) => feed(b, Array.from({ length: b.length }, () => 1));
function randomSplits(b: Buffer, seed: number): number[] {
  const rnd = seededPrng(seed);
  const sizes: number[] = [];
  for (let left = b.length; left > 0; ) {
    const n = Math.min(left, 1 + rnd.int(rnd.next() < 0.5 ? 16 : 4096));
    sizes.push(n);
    left -= n;
  }
  return sizes;
}
const helloBytes = (json: object) => encodeFrame({ type: 'HELLO', stream: 0, payload: Buffer.from(JSON.stringify(json)) });

describe('shared vectors: valid', () => {
  it('has vectors, and maxPayload agrees with MAX_PAYLOAD', () => {
    expect(vectors.valid.length).toBeGreaterThan(10);
    expect(vectors.maxPayload).toBe(MAX_PAYLOAD);
  });
  for (const v of vectors.valid) {
    it(`${v.name}: decodes whole, byte by byte and in random splits; encodes to the same bytes`, () => {
      const want = hex(v.frames);
      expect(whole(v.bytes)).toEqual({ frames: expect.anything() });
      expect(hex(whole(v.bytes).frames)).toEqual(want);
      expect(hex(byteByByte(v.bytes).frames)).toEqual(want);
      for (let seed = 1; seed <= 5; seed++) {
        const r = feed(v.bytes, randomSplits(v.bytes, seed));
        expect(r.error).toBeUndefined();
        expect(hex(r.frames)).toEqual(want);
      }
      expect(Buffer.concat(v.frames.map(encodeFrame)).toString('hex')).toBe(v.bytes.toString('hex'));
    });
  }
});

describe('shared vectors: invalid', () => {
  for (const v of vectors.invalid) {
    it(`${v.name}: rejected with ${v.error} whole, byte by byte and in random splits`, () => {
      expect(whole(v.bytes).error).toBe(v.error);
      expect(byteByByte(v.bytes).error).toBe(v.error);
      for (let seed = 1; seed <= 5; seed++) expect(feed(v.bytes, randomSplits(v.bytes, seed)).error).toBe(v.error);
    });
  }
});

describe('shared vectors: truncated', () => {
  for (const v of vectors.truncated) {
    it(`${v.name}: no frame and no error`, () => {
      expect(whole(v.bytes)).toEqual({ frames: [] });
      expect(byteByByte(v.bytes)).toEqual({ frames: [] });
    });
  }
});

describe('encodeFrame', () => {
  it('refuses frames the spec forbids', () => {
    const bad: [Frame, string][] = [
      [{ type: 'DATA', stream: 1, payload: Buffer.alloc(0) }, 'bad-payload'],
      [{ type: 'DATA', stream: 0, payload: Buffer.from('x') }, 'bad-stream'],
      [{ type: 'DATA', stream: 1, payload: Buffer.alloc(MAX_PAYLOAD + 1) }, 'too-long'],
      [{ type: 'WINDOW', stream: 1, payload: Buffer.alloc(4) }, 'bad-payload'],
      [{ type: 'PING', stream: 0, payload: Buffer.alloc(7) }, 'bad-payload'],
      [{ type: 'HELLO', stream: 2, payload: Buffer.from('{}') }, 'bad-stream'],
      [{ type: 'RESET', stream: 1, payload: Buffer.alloc(1025) }, 'too-long'],
    ];
    for (const [frame, code] of bad) expect(() => encodeFrame(frame)).toThrow(expect.objectContaining({ code }));
    expect(() => encodeFrame({ type: 'CLOSE', stream: 2 ** 32, payload: Buffer.alloc(0) })).toThrow(RangeError);
  });

  it('decides from the header alone: a wrong size for a fixed-size type is bad-payload, however long', () => {
    const code = (h: string) => feed(Buffer.from(h, 'hex'), []).error;
    expect(code('030000000000000100000005')).toBe('bad-payload');
    expect(code('0500000000000001000100ff')).toBe('bad-payload');
    expect(code('07000000000000000000ffff')).toBe('bad-payload');
    expect(code('06000000000000010000ffff')).toBe('too-long');
    expect(code('0100000000000001ffffffff')).toBe('too-long');
  });
});

describe('FrameDecoder resync mode', () => {
  const hello = helloBytes({ magic: 'berth-link', version: 1, role: 'guest', agent: 'test' });
  const data = encodeFrame({ type: 'DATA', stream: 2, payload: Buffer.from('after') });

  it('skips garbage (with fake HELLO headers and valid-looking frames) up to a HELLO, then decodes frames', () => {
    const garbage = Buffer.concat([
      Buffer.from('ffee7f7f00'),
      HELLO_HEADER,
      Buffer.concat([HELLO_HEADER, Buffer.from('00000003', 'hex'), Buffer.from('abc')]),
      encodeFrame({ type: 'DATA', stream: 1, payload: Buffer.from('stale') }),
      helloBytes({ magic: 'not-berth', version: 1 }),
      Buffer.concat([HELLO_HEADER, Buffer.from('00000005', 'hex'), Buffer.from('{"a":')]),
    ]);
    const bytes = Buffer.concat([garbage, hello, data]);
    for (const sizes of [[], Array.from({ length: bytes.length }, () => 1), randomSplits(bytes, 7)]) {
      const d = new FrameDecoder({ resync: true });
      const frames: Frame[] = [];
      let at = 0;
      for (const n of [...sizes, bytes.length]) {
        frames.push(...d.push(bytes.subarray(at, at + n)));
        at += n;
      }
      expect(frames.map((f) => f.type)).toEqual(['HELLO', 'DATA']);
      expect(JSON.parse(frames[0]?.payload.toString() ?? '')).toMatchObject({ role: 'guest' });
      expect(d.inResync).toBe(false);
    }
  });

  it('accepts a HELLO whose JSON starts with whitespace', () => {
    const spaced = encodeFrame({ type: 'HELLO', stream: 0, payload: Buffer.from(' \n {"magic":"berth-link"}') });
    expect(new FrameDecoder({ resync: true }).push(Buffer.concat([Buffer.from('zz'), spaced])).map((f) => f.type)).toEqual(['HELLO']);
  });

  it('does not wait for the payload a cut-off HELLO header announced when a real HELLO follows', () => {
    const cut = Buffer.concat([HELLO_HEADER, Buffer.from('00000fa0', 'hex'), Buffer.from('{"magic":"ber')]);
    const d = new FrameDecoder({ resync: true });
    expect(d.push(Buffer.concat([cut, hello])).map((f) => f.type)).toEqual(['HELLO']);
  });

  it('keeps memory bounded while discarding garbage', () => {
    const d = new FrameDecoder({ resync: true });
    const rnd = seededPrng(3);
    for (let i = 0; i < 200; i++) d.push(Buffer.from(rnd.bytes(4096).map((b) => (b === 0x7f ? 0 : b))));
    expect(d.buffered).toBe(0);
  });

  it('goes to resync mode after a rejected frame and recovers at the next HELLO', () => {
    const d = new FrameDecoder();
    expect(() => d.push(Buffer.from('09000000000000010000000178', 'hex'))).toThrow(LinkProtocolError);
    expect(d.inResync).toBe(true);
    expect(d.push(data)).toEqual([]);
    expect(d.push(Buffer.concat([hello, data])).map((f) => f.type)).toEqual(['HELLO', 'DATA']);
  });
});

describe('FrameDecoder cost', () => {
  it('takes 4 MiB of max-size DATA frames in 1-byte to 300-byte pieces in linear time', () => {
    const rnd = seededPrng(11);
    const frames = Array.from({ length: 64 }, (_, i) => encodeFrame({ type: 'DATA', stream: 1 + 2 * i, payload: rnd.bytes(MAX_PAYLOAD) }));
    const bytes = Buffer.concat(frames);
    const d = new FrameDecoder();
    let got = 0;
    let received = 0;
    const t0 = performance.now();
    for (let at = 0; at < bytes.length; ) {
      const n = 1 + rnd.int(300);
      for (const f of d.push(bytes.subarray(at, at + n))) {
        got++;
        received += f.payload.length;
      }
      at += n;
    }
    expect(got).toBe(64);
    expect(received).toBe(64 * MAX_PAYLOAD);
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(INITIAL_WINDOW).toBe(4 * MAX_PAYLOAD);
  });
});
