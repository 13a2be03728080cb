import { describe, expect, it } from 'vitest';
import type { PullProgress } from '../../../helpers/api/docker.ts';
import { applyPullItem, endPull, pullSummary, startPull } from './pullProgress.ts';

const MiB = 1024 ** 2;
const items: PullProgress[] = [
  { layer: 'latest', status: 'Pulling from library/busybox' },
  { layer: 'aaa', status: 'Pulling fs layer' },
  { layer: 'bbb', status: 'Already exists' },
  { layer: 'aaa', status: 'Downloading', current: 1 * MiB, total: 4 * MiB },
  { layer: 'aaa', status: 'Downloading', current: 4 * MiB, total: 4 * MiB },
  { layer: 'aaa', status: 'Verifying Checksum' },
  { layer: 'aaa', status: 'Download complete' },
  { layer: 'aaa', status: 'Extracting', current: 2 * MiB, total: 4 * MiB },
  { layer: 'aaa', status: 'Pull complete' },
  { status: 'Digest: sha256:abc' },
  { status: 'Status: Downloaded newer image for busybox:latest' },
];

describe('pull progress', () => {
  it('keeps one bar per layer, in the order layers appeared, with the pull messages apart', () => {
    const s = items.reduce(applyPullItem, startPull('busybox:latest'));
    expect(s.layers.map((l) => [l.id, l.phase, l.fraction])).toEqual([
      ['aaa', 'done', 1],
      ['bbb', 'done', 1],
    ]);
    expect(s.messages).toEqual(['latest: Pulling from library/busybox', 'Digest: sha256:abc', 'Status: Downloaded newer image for busybox:latest']);
  });

  it('counts downloading as the first half of a layer and extracting as the second', () => {
    const after = (n: number) => items.slice(0, n).reduce(applyPullItem, startPull('busybox'));
    const aaa = (n: number) => after(n).layers.find((l) => l.id === 'aaa')!;
    expect(aaa(2)).toMatchObject({ phase: 'waiting', fraction: 0 });
    expect(aaa(4)).toMatchObject({ phase: 'downloading', fraction: 0.125, current: MiB, total: 4 * MiB, status: 'Downloading' });
    expect(aaa(6)).toMatchObject({ phase: 'verifying', fraction: 0.5 });
    expect(aaa(8)).toMatchObject({ phase: 'extracting', fraction: 0.75 });
    expect(pullSummary(after(8))).toBe('Pulling busybox: 1 of 2 layers done');
  });

  it('a download with no total, or a total of 0, shows no progress rather than NaN', () => {
    const s = applyPullItem(startPull('x'), { layer: 'l', status: 'Downloading', current: 5 });
    expect(s.layers[0]!.fraction).toBe(0);
    expect(applyPullItem(startPull('x'), { layer: 'l', status: 'Downloading', current: 5, total: 0 }).layers[0]!.fraction).toBe(0);
  });

  it('an unknown layer status is a pull message; the same message twice in a row is kept once', () => {
    let s = applyPullItem(startPull('x'), { layer: 'l', status: 'Something new' });
    s = applyPullItem(s, { layer: 'l', status: 'Something new' });
    expect(s.messages).toEqual(['l: Something new']);
    expect(s.layers).toEqual([]);
  });

  it('end: done fills every bar; an error keeps the bars and says what failed', () => {
    const partial = items.slice(0, 4).reduce(applyPullItem, startPull('busybox'));
    const done = endPull(partial);
    expect(done.outcome).toBe('done');
    expect(done.layers.every((l) => l.fraction === 1)).toBe(true);
    expect(pullSummary(done)).toBe('Pulled busybox (2 of 2 layers)');
    const failed = endPull(partial, { code: 'pull-failed', message: 'manifest unknown', hint: 'check the name' });
    expect(failed).toMatchObject({ outcome: 'failed', error: { message: 'manifest unknown' } });
    expect(failed.layers.find((l) => l.id === 'aaa')!.fraction).toBe(0.125);
    expect(pullSummary(failed)).toBe('Pulling busybox failed after 1 of 2 layers');
    expect(pullSummary(startPull('y'))).toBe('Pulling y…');
    expect(pullSummary(endPull(startPull('z'), { code: 'c', message: 'm', hint: 'h' }))).toBe('Pulling z failed');
  });
});
