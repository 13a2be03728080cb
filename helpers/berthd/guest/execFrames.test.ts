// Owns: tests of execFrames.ts — encode/decode round trips in both directions, input cut into
// 1-byte and random chunks, and the decoder's rejections (unknown kinds, oversize, wrong sizes, truncation).
import { describe, expect, it } from 'vitest';
import {
  encodeExecMessage,
  encodeExecResize,
  encodeExecSignal,
  encodeExecStart,
  encodeExecStdin,
  EXEC_MAX_PAYLOAD,
  ExecMessageDecoder,
  ExecProtocolError,
  HOST_EXEC_KINDS,
  type ExecKind,
  type ExecMessage,
} from './execFrames.ts';
import { seededPrng } from './seededPrng.ts';

const shown = (ms: ExecMessage[]) => ms.map((m) => ({ kind: m.kind, payload: m.payload.toString('hex') }));

function decodeIn(bytes: Buffer, sizes: number[], decoder: ExecMessageDecoder<ExecKind> = new ExecMessageDecoder()): ExecMessage[] {
  const out: ExecMessage[] = [];
  let at = 0;
  for (const n of sizes) {
    out.push(...decoder.push(bytes.subarray(at, at + n)));
    at += n;
  }
  out.push(...decoder.push(bytes.subarray(at)));
  decoder.end();
  return out;
}

const guestWire = Buffer.concat([
  encodeExecMessage('O', Buffer.from('hello\n')),
  encodeExecMessage('e', Buffer.from('oops\n')),
  encodeExecMessage('O', Buffer.alloc(0)),
  encodeExecMessage('O', Buffer.alloc(EXEC_MAX_PAYLOAD, 7)),
  encodeExecMessage('X', Buffer.from('{"code":3,"signal":null}')),
]);
const guestExpected = [
  { kind: 'O', payload: Buffer.from('hello\n').toString('hex') },
  { kind: 'e', payload: Buffer.from('oops\n').toString('hex') },
  { kind: 'O', payload: '' },
  { kind: 'O', payload: Buffer.alloc(EXEC_MAX_PAYLOAD, 7).toString('hex') },
  { kind: 'X', payload: Buffer.from('{"code":3,"signal":null}').toString('hex') },
];

describe('exec message encoding', () => {
  it('writes kind, big-endian length and payload', () => {
    expect(encodeExecMessage('I', Buffer.from('hi')).toString('hex')).toBe('49000000026869');
    expect(encodeExecMessage('E').toString('hex')).toBe('4500000000');
    expect(encodeExecResize(40, 120).toString('hex')).toBe('5200000004' + '0028' + '0078');
    expect(encodeExecSignal(9).toString('hex')).toBe('4b0000000109');
    const start = encodeExecStart({ argv: ['/bin/sh'], tty: true, rows: 24, cols: 80 });
    expect(start.subarray(0, 1).toString()).toBe('S');
    expect(JSON.parse(start.subarray(5).toString())).toEqual({ argv: ['/bin/sh'], tty: true, rows: 24, cols: 80 });
    expect(start.readUInt32BE(1)).toBe(start.length - 5);
  });

  it('splits large stdin into I messages of at most the payload limit', () => {
    const data = Buffer.alloc(2 * EXEC_MAX_PAYLOAD + 10, 1);
    const ms = decodeIn(encodeExecStdin(data), [], new ExecMessageDecoder(HOST_EXEC_KINDS));
    expect(ms.map((m) => [m.kind, m.payload.length])).toEqual([
      ['I', EXEC_MAX_PAYLOAD],
      ['I', EXEC_MAX_PAYLOAD],
      ['I', 10],
    ]);
    expect(encodeExecStdin(Buffer.alloc(0)).length).toBe(0);
  });

  it('refuses what the guest would reset', () => {
    expect(() => encodeExecMessage('I', Buffer.alloc(EXEC_MAX_PAYLOAD + 1))).toThrow(/over 65536/);
    expect(() => encodeExecMessage('E', Buffer.from('x'))).toThrow(/0-byte payload/);
    expect(() => encodeExecSignal(0)).toThrow(/1–64/);
    expect(() => encodeExecSignal(65)).toThrow(/1–64/);
    expect(() => encodeExecResize(0, 80)).toThrow(/rows/);
    expect(() => encodeExecResize(24, 70_000)).toThrow(/cols/);
  });
});

describe('ExecMessageDecoder', () => {
  it('round-trips the guest messages whole, byte by byte and in random chunks', () => {
    expect(shown(decodeIn(guestWire, []))).toEqual(guestExpected);
    expect(shown(decodeIn(guestWire, Array.from({ length: guestWire.length }, () => 1)))).toEqual(guestExpected);
    for (let seed = 1; seed <= 20; seed++) {
      const rnd = seededPrng(seed);
      const sizes: number[] = [];
      for (let left = guestWire.length; left > 0; ) {
        const n = Math.min(left, 1 + rnd.int(rnd.next() < 0.5 ? 8 : 20_000));
        sizes.push(n);
        left -= n;
      }
      expect(shown(decodeIn(guestWire, sizes))).toEqual(guestExpected);
    }
  });

  it('round-trips the host messages with a decoder for the host kinds', () => {
    const wire = Buffer.concat([
      encodeExecStart({ argv: ['cat'], tty: false }),
      encodeExecStdin(Buffer.from('abc')),
      encodeExecResize(1, 65535),
      encodeExecSignal(2),
      encodeExecMessage('E'),
    ]);
    const ms = decodeIn(wire, Array.from({ length: wire.length }, () => 1), new ExecMessageDecoder(HOST_EXEC_KINDS));
    expect(ms.map((m) => m.kind).join('')).toBe('SIRKE');
    expect(ms[2]?.payload.toString('hex')).toBe('0001ffff');
  });

  it('holds a partial message until the rest arrives', () => {
    const d = new ExecMessageDecoder();
    expect(d.push(Buffer.from('4f000000', 'hex'))).toEqual([]);
    expect(d.push(Buffer.from('0368', 'hex'))).toEqual([]);
    expect(d.buffered).toBe(6);
    expect(shown(d.push(Buffer.from('6921', 'hex')))).toEqual([{ kind: 'O', payload: '686921' }]);
    expect(d.buffered).toBe(0);
  });

  it.each([
    ['an unknown kind', '5a00000000', /unknown exec message kind 'Z'/],
    ['a host kind sent by the guest', '4900000001', /unknown exec message kind 'I'/],
    ['a non-printable kind', '0000000000', /kind 0x00/],
    ['a length over the limit', '4f00010001', /length of 65537 bytes, over the limit of 65536/],
    ['a huge length', '4fffffffff', /over the limit/],
  ])('rejects %s as soon as the header is complete', (_name, hex, message) => {
    const d = new ExecMessageDecoder();
    const bytes = Buffer.from(hex, 'hex');
    expect(d.push(bytes.subarray(0, 4))).toEqual([]);
    expect(() => d.push(bytes.subarray(4))).toThrow(ExecProtocolError);
    expect(() => d.push(Buffer.alloc(0))).toThrow(message); // stays broken
  });

  it('rejects wrong sizes for E, R and K from the host', () => {
    for (const hex of ['4500000001', '5200000003', '4b00000002']) {
      expect(() => new ExecMessageDecoder(HOST_EXEC_KINDS).push(Buffer.from(hex, 'hex'))).toThrow(/-byte payload/);
    }
  });

  it('rejects an end in the middle of a message, not between messages', () => {
    const d = new ExecMessageDecoder();
    d.push(encodeExecMessage('O', Buffer.from('x')));
    expect(() => d.end()).not.toThrow();
    d.push(Buffer.from('4f00000005ab', 'hex'));
    expect(() => d.end()).toThrow(/ended in the middle of a message \(6 bytes/);
  });
});
