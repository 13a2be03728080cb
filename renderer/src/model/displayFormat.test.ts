import { describe, expect, it } from 'vitest';
import { formatAgo, formatBytes, formatDuration, formatPercent, sentence, shortId } from './displayFormat.ts';

describe('displayFormat', () => {
  it('formatBytes', () => {
    expect([0, 1, 1023, 1536, 10 * 1024 ** 2 + 1, 2 * 1024 ** 3, 123.4 * 1024 ** 3, -1].map(formatBytes)).toEqual(['0 bytes', '1 byte', '1023 bytes', '1.5 KiB', '10 MiB', '2 GiB', '123 GiB', '—']);
  });
  it('formatPercent clamps', () => {
    expect([0, 0.256, 1, 1.5, -0.1].map(formatPercent)).toEqual(['0%', '26%', '100%', '100%', '0%']);
  });
  it('formatDuration', () => {
    expect([0, 59, 60, 3599, 3600, 3900, 86400, 90000, 2 * 86400].map(formatDuration)).toEqual(['0 s', '59 s', '1 min', '59 min', '1 h', '1 h 5 min', '1 day', '1 day 1 h', '2 days']);
  });
  it('formatAgo', () => {
    const now = 1_000_000_000_000;
    const at = (s: number) => formatAgo(now / 1000 - s, now);
    expect([5, 60, 120, 3600, 86400 * 3, 86400 * 8, 86400 * 40, 86400 * 800].map(at)).toEqual(['just now', '1 minute ago', '2 minutes ago', '1 hour ago', '3 days ago', '1 week ago', '1 month ago', '2 years ago']);
  });
  it('sentence', () => {
    expect(sentence('the VM shut down cleanly in 2.4 s')).toBe('The VM shut down cleanly in 2.4 s.');
    expect(sentence('Done.')).toBe('Done.');
    expect(sentence('  ')).toBe('');
    expect(sentence('berthd is not running')).toBe('berthd is not running.');
    expect(sentence('run `berth start`')).toBe('Run `berth start`.');
  });
  it('shortId', () => {
    expect(shortId('sha256:0123456789abcdef')).toBe('0123456789ab');
  });
});
