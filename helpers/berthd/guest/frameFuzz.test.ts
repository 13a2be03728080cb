// Owns: property tests of the FrameDecoder with a seeded PRNG — mutated, truncated and concatenated
// vector bytes only ever decode or raise LinkProtocolError; random valid frames round-trip.
import { describe, expect, it } from 'vitest';
import { encodeFrame, FRAME_CODES, FrameDecoder, HEADER_SIZE, LinkProtocolError, type Frame, type FrameType } from './frameCodec.ts';
import { loadLinkVectors } from './linkVectors.ts';
import { seededPrng, type Prng } from './seededPrng.ts';

const vectors = loadLinkVectors();
const corpus: Buffer[] = [...vectors.valid, ...vectors.invalid, ...vectors.truncated].map((v) => v.bytes);
const small = corpus.filter((b) => b.length <= 1100);
const CODES = Object.values(FRAME_CODES);
const show = (fs: Frame[]) => fs.map((f) => `${f.type} ${f.stream} ${f.payload.toString('hex')}`);

function mutate(bytes: Buffer, rnd: Prng): Buffer {
  let b = Buffer.from(bytes);
  const rounds = 1 + rnd.int(4);
  for (let r = 0; r < rounds; r++) {
    const at = b.length === 0 ? 0 : rnd.int(b.length);
    switch (rnd.int(8)) {
      case 0: // flip a bit
        if (b.length > 0) b[at] = (b[at] as number) ^ (1 << rnd.int(8));
        break;
      case 1: // a random byte
        if (b.length > 0) b[at] = rnd.int(256);
        break;
      case 2: // truncate
        b = b.subarray(0, at);
        break;
      case 3: // insert random bytes
        b = Buffer.concat([b.subarray(0, at), rnd.bytes(1 + rnd.int(16)), b.subarray(at)]);
        break;
      case 4: // delete a range
        b = Buffer.concat([b.subarray(0, at), b.subarray(at + 1 + rnd.int(16))]);
        break;
      case 5: // another valid type code in a header-aligned spot
        if (b.length >= HEADER_SIZE) b[HEADER_SIZE * rnd.int(Math.floor(b.length / HEADER_SIZE))] = CODES[rnd.int(CODES.length)] as number;
        break;
      case 6: // a random length field
        if (b.length >= HEADER_SIZE) b.writeUInt32BE(rnd.next() < 0.5 ? rnd.int(70_000) : rnd.int(2 ** 32), 8);
        break;
      default: // duplicate a range
        b = Buffer.concat([b, b.subarray(at, at + 1 + rnd.int(64))]);
    }
  }
  return b;
}

function randomCase(rnd: Prng): Buffer {
  const parts: Buffer[] = [];
  const n = 1 + rnd.int(3);
  for (let i = 0; i < n; i++) {
    const pool = rnd.next() < 0.9 ? small : corpus;
    parts.push(pool[rnd.int(pool.length)] as Buffer);
  }
  const joined = Buffer.concat(parts);
  return rnd.next() < 0.15 ? joined : mutate(joined, rnd);
}

/** Feed in random pieces; after a rejection keep feeding (the decoder resyncs). */
function run(bytes: Buffer, rnd: Prng, resync = false): { frames: Frame[]; errors: string[] } {
  const d = new FrameDecoder({ resync });
  const frames: Frame[] = [];
  const errors: string[] = [];
  let at = 0;
  while (at < bytes.length) {
    const n = 1 + rnd.int(rnd.next() < 0.5 ? 8 : 512);
    d.write(bytes.subarray(at, at + n));
    at += n;
    for (let guard = 0; ; guard++) {
      if (guard > bytes.length + 1) throw new Error('decoder did not make progress');
      try {
        const f = d.next();
        if (f === null) break;
        frames.push(f);
      } catch (e) {
        if (!(e instanceof LinkProtocolError)) throw e;
        errors.push(e.code);
      }
    }
    expect(d.buffered).toBeLessThanOrEqual(bytes.length);
  }
  return { frames, errors };
}

describe('FrameDecoder fuzz', () => {
  it('5000 mutated, truncated and concatenated vectors: frames or LinkProtocolError, nothing else', () => {
    const rnd = seededPrng(0xb3e7);
    const seen = new Set<string>();
    let frames = 0;
    for (let i = 0; i < 5000; i++) {
      const bytes = randomCase(rnd);
      let result: ReturnType<typeof run>;
      try {
        result = run(bytes, rnd, rnd.next() < 0.2);
      } catch (e) {
        throw new Error(`case ${i} (${bytes.subarray(0, 64).toString('hex')}…): ${String(e)}`, { cause: e });
      }
      for (const code of result.errors) seen.add(code);
      for (const f of result.frames) {
        // Whatever decodes is a frame the encoder accepts and that decodes back to itself.
        const again = new FrameDecoder().push(encodeFrame(f));
        expect(show(again)).toEqual(show([f]));
        frames++;
      }
    }
    expect(frames).toBeGreaterThan(1000);
    expect([...seen].sort()).toEqual(['bad-payload', 'bad-stream', 'reserved-nonzero', 'too-long', 'unknown-type']);
  });

  it('1000 sequences of random valid frames round-trip through any split', () => {
    const rnd = seededPrng(42);
    const types = Object.keys(FRAME_CODES) as FrameType[];
    const payloadFor = (t: FrameType): Buffer => {
      switch (t) {
        case 'OPEN':
          return rnd.bytes(1 + rnd.int(64));
        case 'DATA':
          return rnd.bytes(1 + rnd.int(rnd.next() < 0.03 ? 65_536 : 300));
        case 'WINDOW':
          return Buffer.from([rnd.int(256), rnd.int(256), rnd.int(256), 1 + rnd.int(255)]);
        case 'RESET':
          return rnd.bytes(rnd.int(100));
        case 'PING':
        case 'PONG':
          return rnd.bytes(8);
        case 'HELLO':
          return Buffer.from(JSON.stringify({ magic: 'berth-link', n: rnd.int(1e6) }));
        default:
          return Buffer.alloc(0);
      }
    };
    for (let i = 0; i < 1000; i++) {
      const frames: Frame[] = Array.from({ length: 1 + rnd.int(6) }, () => {
        const type = types[rnd.int(types.length)] as FrameType;
        const link = type === 'PING' || type === 'PONG' || type === 'HELLO';
        return { type, stream: link ? 0 : 1 + rnd.int(2 ** 32 - 1), payload: payloadFor(type) };
      });
      const bytes = Buffer.concat(frames.map(encodeFrame));
      const { frames: got, errors } = run(bytes, rnd);
      expect(errors).toEqual([]);
      expect(show(got)).toEqual(show(frames));
    }
  });
});
