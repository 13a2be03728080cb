// Owns: tests of SessionEvents — output that comes before the first listener is kept for it (bounded),
// the end is reported once and replayed to a late listener, and nothing is reported after a silent end.
import { describe, expect, it } from 'vitest';
import { SessionEvents, type SessionEnd } from './terminalSession.ts';

describe('SessionEvents', () => {
  it('keeps output from before the first data listener and hands it over in order', () => {
    const e = new SessionEvents();
    e.data(Buffer.from('banner\r\n'));
    e.data(Buffer.from('$ '));
    const got: string[] = [];
    e.onData((d) => got.push(d.toString()));
    e.data(Buffer.from('ls'));
    expect(got).toEqual(['banner\r\n', '$ ', 'ls']);
  });

  it('keeps at most 256 KiB for a listener that has not come yet', () => {
    const e = new SessionEvents();
    for (let i = 0; i < 5; i++) e.data(Buffer.alloc(64 * 1024, 0x61));
    let bytes = 0;
    e.onData((d) => (bytes += d.length));
    expect(bytes).toBe(256 * 1024);
  });

  it('reports the end once, and to a listener added after it', async () => {
    const e = new SessionEvents();
    const early: SessionEnd[] = [];
    e.onExit((x) => early.push(x));
    e.end({ type: 'exit', code: 3 });
    e.end({ type: 'exit', code: 4 });
    const late = await new Promise<SessionEnd>((resolve) => e.onExit(resolve));
    expect(early).toEqual([{ type: 'exit', code: 3 }]);
    expect(late).toEqual({ type: 'exit', code: 3 });
  });

  it('after a silent end (close) nothing is reported, not even to late listeners', async () => {
    const e = new SessionEvents();
    const ends: SessionEnd[] = [];
    const data: Buffer[] = [];
    e.onData((d) => data.push(d));
    e.end('silent');
    e.onExit((x) => ends.push(x));
    e.data(Buffer.from('late'));
    e.end({ type: 'exit', code: 0 });
    await Promise.resolve();
    expect(ends).toEqual([]);
    expect(data).toEqual([]);
    expect(e.ended).toBe(true);
  });
});
