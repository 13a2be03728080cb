import { describe, expect, it } from 'vitest';
import { SseByteParser, SseParser } from './sseParser.ts';

function feed(chunks: string[]) {
  const p = new SseParser();
  return chunks.flatMap((c) => p.push(c));
}

describe('SseParser', () => {
  it('reads one frame with an event type and JSON data', () => {
    expect(feed(['event: state\ndata: {"type":"state"}\n\n'])).toEqual([{ event: 'state', data: '{"type":"state"}' }]);
  });

  it('gives "message" to a frame without event:', () => {
    expect(feed(['data: x\n\n'])).toEqual([{ event: 'message', data: 'x' }]);
  });

  it('waits for the blank line that ends a frame', () => {
    const p = new SseParser();
    expect(p.push('event: log\ndata: a')).toEqual([]);
    expect(p.push('bc\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'log', data: 'abc' }]);
  });

  it('reads a frame split at every possible byte', () => {
    const text = 'event: ports\ndata: {"forwards":[]}\n\nevent: stats\ndata: 1\n\n';
    for (let cut = 1; cut < text.length; cut++) {
      expect(feed([text.slice(0, cut), text.slice(cut)])).toEqual([
        { event: 'ports', data: '{"forwards":[]}' },
        { event: 'stats', data: '1' },
      ]);
    }
    expect(feed([...text])).toHaveLength(2);
  });

  it('skips comments (keep-alives) and comment-only frames', () => {
    expect(feed([': keep-alive\n\n', ':\n', 'data: y\n: inside\n\n'])).toEqual([{ event: 'message', data: 'y' }]);
  });

  it('joins multi-line data with newlines and keeps empty data lines', () => {
    expect(feed(['data: one\ndata:two\ndata\ndata:  three\n\n'])).toEqual([{ event: 'message', data: 'one\ntwo\n\n three' }]);
  });

  it('accepts CRLF and lone CR line ends, also with the CRLF split across chunks', () => {
    expect(feed(['event: a\r\ndata: 1\r\n\r\n'])).toEqual([{ event: 'a', data: '1' }]);
    expect(feed(['event: b\rdata: 2\r\r'])).toEqual([{ event: 'b', data: '2' }]);
    expect(feed(['event: c\r', '\ndata: 3\r', '\n\r', '\n'])).toEqual([{ event: 'c', data: '3' }]);
  });

  it('drops a frame with no data, and does not carry its event type to the next frame', () => {
    expect(feed(['event: end\n\n', 'data: z\n\n'])).toEqual([{ event: 'message', data: 'z' }]);
  });

  it('keeps the last id across frames and ignores retry and unknown fields', () => {
    expect(feed(['id: 7\nretry: 10\nfoo: bar\ndata: a\n\ndata: b\n\n'])).toEqual([
      { event: 'message', data: 'a', id: '7' },
      { event: 'message', data: 'b', id: '7' },
    ]);
  });

  it('drops an unterminated last frame at the end of the stream', () => {
    const p = new SseParser();
    expect(p.push('data: half')).toEqual([]);
    p.end();
    expect(p.push('data: next\n\n')).toEqual([{ event: 'message', data: 'next' }]);
  });
});

describe('SseByteParser', () => {
  it('keeps a UTF-8 character whole when its bytes are split across chunks', () => {
    const bytes = new TextEncoder().encode('data: café ☕\n\n');
    const p = new SseByteParser();
    const out = [];
    for (const b of bytes) out.push(...p.push(new Uint8Array([b])));
    out.push(...p.end());
    expect(out).toEqual([{ event: 'message', data: 'café ☕' }]);
  });
});
