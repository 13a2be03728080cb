// Owns: tests of logLineDecoder.ts — recorded Docker log bytes (framed stdout/stderr, with timestamps,
// and a TTY container's raw CRLF output) cut at every offset, UTF-8 split mid-character, long lines.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { LogLine } from '../../api/docker.ts';
import { DockerLogDecoder, LineSplitter, MAX_LINE_CHARS } from './logLineDecoder.ts';

const recorded = (name: string): Buffer => readFileSync(new URL(`./fixtures/${name}`, import.meta.url));

function decode(tty: boolean, chunks: Buffer[]): LogLine[] {
  const lines: LogLine[] = [];
  const d = new DockerLogDecoder(tty, (l) => lines.push(l));
  for (const c of chunks) d.push(c);
  d.end();
  return lines;
}

/** The bytes cut into pieces at the given offsets. */
function cut(bytes: Buffer, at: number[]): Buffer[] {
  const out: Buffer[] = [];
  let from = 0;
  for (const a of [...at, bytes.length]) {
    out.push(bytes.subarray(from, a));
    from = a;
  }
  return out;
}

function frame(kind: 1 | 2, payload: string | Buffer): Buffer {
  const body = typeof payload === 'string' ? Buffer.from(payload) : payload;
  const head = Buffer.alloc(8);
  head[0] = kind;
  head.writeUInt32BE(body.length, 4);
  return Buffer.concat([head, body]);
}

describe('DockerLogDecoder (recorded from a non-TTY container: echo out; echo err >&2)', () => {
  const bytes = recorded('logs-done.bin');
  const want: LogLine[] = [
    { stream: 'stdout', line: 'out' },
    { stream: 'stderr', line: 'err' },
  ];

  it('demultiplexes stdout and stderr', () => {
    expect(decode(false, [bytes])).toEqual(want);
  });

  it('gives the same lines whatever the chunk boundaries (every single cut, and byte by byte)', () => {
    for (let i = 1; i < bytes.length; i++) expect(decode(false, cut(bytes, [i])), `cut at ${i}`).toEqual(want);
    expect(decode(false, [...bytes].map((b) => Buffer.from([b])))).toEqual(want);
  });

  it('keeps the timestamps Docker adds in front of each line', () => {
    const lines = decode(false, cut(recorded('logs-done-ts.bin'), [3, 20, 50]));
    expect(lines.map((l) => l.stream)).toEqual(['stdout', 'stderr']);
    expect(lines[0]!.line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z out$/);
    expect(lines[1]!.line).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z err$/);
  });
});

describe('DockerLogDecoder (TTY)', () => {
  it('reads a TTY container raw, as stdout, without the CR of CRLF (recorded)', () => {
    const bytes = recorded('logs-tty.bin');
    expect(decode(true, [bytes])).toEqual([{ stream: 'stdout', line: 'tty-line' }]);
    expect(decode(true, cut(bytes, [8, 9]))).toEqual([{ stream: 'stdout', line: 'tty-line' }]);
  });

  it('falls back to raw when bytes read as framed are not frames', () => {
    expect(decode(false, [Buffer.from('hello there\r\nsecond\r\n')])).toEqual([
      { stream: 'stdout', line: 'hello there' },
      { stream: 'stdout', line: 'second' },
    ]);
  });
});

describe('DockerLogDecoder lines', () => {
  it('joins a line written in several frames, and splits a frame holding several lines', () => {
    const bytes = Buffer.concat([frame(1, 'par'), frame(2, 'e1\ne2\n'), frame(1, 'tial\nnext\n')]);
    expect(decode(false, [bytes])).toEqual([
      { stream: 'stderr', line: 'e1' },
      { stream: 'stderr', line: 'e2' },
      { stream: 'stdout', line: 'partial' },
      { stream: 'stdout', line: 'next' },
    ]);
  });

  it('keeps a UTF-8 character split across frames and chunks whole', () => {
    const text = Buffer.from('héllo wörld ✓\n');
    const bytes = Buffer.concat([frame(1, text.subarray(0, 2)), frame(1, text.subarray(2, 14)), frame(1, text.subarray(14))]);
    for (let i = 1; i < bytes.length; i++) expect(decode(false, cut(bytes, [i]))).toEqual([{ stream: 'stdout', line: 'héllo wörld ✓' }]);
  });

  it('a last line without a newline still comes out at the end; an empty line is a line', () => {
    expect(decode(false, [frame(1, 'a\n\nb')])).toEqual([
      { stream: 'stdout', line: 'a' },
      { stream: 'stdout', line: '' },
      { stream: 'stdout', line: 'b' },
    ]);
  });

  it('a frame cut short by a broken connection still shows what arrived', () => {
    const whole = frame(2, 'complete\n');
    expect(decode(false, [whole.subarray(0, whole.length - 3)])).toEqual([{ stream: 'stderr', line: 'comple' }]);
  });

  it('hands on a line longer than the limit in pieces instead of holding it', () => {
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    s.push(Buffer.from('x'.repeat(MAX_LINE_CHARS + 10)));
    expect(lines).toEqual(['x'.repeat(MAX_LINE_CHARS)]);
    s.push(Buffer.from('y\n'));
    expect(lines[1]).toBe(`${'x'.repeat(10)}y`);
  });
});
