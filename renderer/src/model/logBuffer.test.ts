import { describe, expect, it } from 'vitest';
import { appendBounded, isAtBottom, linesSince } from './logBuffer.ts';

describe('logBuffer', () => {
  it('appendBounded keeps the newest lines', () => {
    expect(appendBounded([1, 2], [3], 5)).toEqual([1, 2, 3]);
    expect(appendBounded([1, 2, 3, 4], [5, 6, 7], 5)).toEqual([3, 4, 5, 6, 7]);
  });
  it('isAtBottom allows a little slack', () => {
    expect(isAtBottom({ scrollTop: 900, clientHeight: 100, scrollHeight: 1000 })).toBe(true);
    expect(isAtBottom({ scrollTop: 880, clientHeight: 100, scrollHeight: 1000 })).toBe(true);
    expect(isAtBottom({ scrollTop: 500, clientHeight: 100, scrollHeight: 1000 })).toBe(false);
  });
  it('linesSince gives what arrived after the snapshot, even when old lines fell off', () => {
    expect(linesSince(['a', 'b', 'c'], 3, 3)).toEqual([]);
    expect(linesSince(['a', 'b', 'c'], 3, 1)).toEqual(['b', 'c']);
    expect(linesSince(['x', 'y'], 10, 2)).toEqual(['x', 'y']);
  });
});
