// The boot phases computed from console markers on one host clock (pure arithmetic on a synthetic timeline).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { summarize } from './benchReport.ts';
import { BERTH_MARKERS, ConsoleTimeline, phases } from './bootTimeline.ts';

let dir: string | undefined;
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = undefined;
});

function timeline(markers: { line: string; seenMs: number; uptimeS?: number }[]): ConsoleTimeline {
  dir = mkdtempSync(join(tmpdir(), 'bench-tl-'));
  const t = new ConsoleTimeline(join(dir, 'console.log'));
  t.stop();
  t.markers.push(...markers);
  return t;
}

describe('phases', () => {
  it('places guest uptime on the host clock from the marker seen with the least lag', () => {
    // QEMU starts at 1000 ms; the guest clock's zero is at 1500 ms; "init" was seen 30 ms late, the others 100 ms.
    const t = timeline([
      { line: 'berth: init (uptime 2.00s)', seenMs: 3530, uptimeS: 2 },
      { line: 'berth: boot steps done (uptime 4.00s)', seenMs: 5600, uptimeS: 4 },
      { line: 'berth: docker ready version=20.10 api=1.41 (uptime 9.00s)', seenMs: 10600, uptimeS: 9 },
    ]);
    const p = phases(t, BERTH_MARKERS, 800, 1000, 10700)!;
    expect(p.beforeQemuS).toBeCloseTo(0.2);
    expect(p.firmwareS).toBeCloseTo(0.53);
    expect(p.kernelS).toBeCloseTo(2);
    expect(p.initS).toBeCloseTo(2);
    expect(p.dockerS).toBeCloseTo(5);
    expect(p.hostS).toBeCloseTo(10.7 - 10.53);
    expect(p.totalS).toBeCloseTo(9.9);
  });

  it('gives no phases when a bounding marker is missing', () => {
    const t = timeline([{ line: 'berth: init (uptime 2.00s)', seenMs: 3500, uptimeS: 2 }]);
    expect(phases(t, BERTH_MARKERS, 0, 0, 5000)).toBeUndefined();
  });
});

describe('summarize', () => {
  it('takes the median and interpolated p10/p90 of the finite samples', () => {
    expect(summarize([5, 1, 3, NaN, 2, 4])).toEqual({ median: 3, p10: 1.4, p90: 4.6, n: 5 });
    expect(summarize([]).n).toBe(0);
  });
});
