// Owns: what every benchmark section reports — a figure next to its baseline (samples, median, p10/p90,
// ratio), the machine's description and load, the printed table, and the JSON of the day's results.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../image/imageVm.ts';

/** Repetitions of each figure: BENCH_REPS, else 3 with BENCH_QUICK=1, else 5. */
export const REPS = Number(process.env.BENCH_REPS ?? (process.env.BENCH_QUICK === '1' ? 3 : 5));

/** How a figure reads: time (lower is better), a rate or a size. */
export type Unit = 's' | 'ms' | 'us' | 'MB/s' | 'req/s' | 'MB' | 'cpu-s' | '%core';

/** One figure measured against its baseline in the same run. */
export type Comparison = {
  figure: string;
  unit: Unit;
  berth: number[];
  /** Absent for figures without a baseline (phases, sizes of one side). */
  baseline?: number[];
  baselineName?: string;
  note?: string;
};

export type Summary = { median: number; p10: number; p90: number; n: number };

export function summarize(xs: number[]): Summary {
  const s = [...xs].filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return { median: NaN, p10: NaN, p90: NaN, n: 0 };
  const q = (p: number): number => {
    const i = (s.length - 1) * p;
    const lo = Math.floor(i);
    const hi = Math.ceil(i);
    return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
  };
  return { median: q(0.5), p10: q(0.1), p90: q(0.9), n: s.length };
}

export const median = (xs: number[]): number => summarize(xs).median;

/** Rates are better high; everything else low. "x faster" reads the same way for both. */
const higherIsBetter = (u: Unit): boolean => u === 'MB/s' || u === 'req/s';

export type Row = {
  figure: string;
  unit: Unit;
  berth: Summary;
  baseline?: Summary;
  baselineName?: string;
  /** berth / baseline medians. */
  ratio?: number;
  /** How many times better Berth is than the baseline (>1 is better), in the figure's own sense. */
  advantage?: number;
  note?: string;
};

export function toRow(c: Comparison): Row {
  const berth = summarize(c.berth);
  const row: Row = { figure: c.figure, unit: c.unit, berth, ...(c.note ? { note: c.note } : {}) };
  if (c.baseline && summarize(c.baseline).n > 0) {
    const baseline = summarize(c.baseline);
    const ratio = berth.median / baseline.median;
    Object.assign(row, { baseline, baselineName: c.baselineName, ratio, advantage: higherIsBetter(c.unit) ? ratio : 1 / ratio });
  }
  return row;
}

const fmt = (x: number): string => (!Number.isFinite(x) ? '—' : Math.abs(x) >= 100 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(2));

export function table(title: string, rows: Row[]): string {
  const lines = [
    `### ${title}`,
    '',
    '| figure | Berth (median) | p10–p90 | baseline (median) | p10–p90 | Berth is | n |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const r of rows) {
    const b = r.baseline;
    const better = r.advantage === undefined || !Number.isFinite(r.advantage) ? '' : r.advantage >= 1 ? `${fmt(r.advantage)}× better` : `${fmt(1 / r.advantage)}× worse`;
    lines.push(
      `| ${r.figure}${r.baselineName ? ` (vs ${r.baselineName})` : ''} | ${fmt(r.berth.median)} ${r.unit} | ${fmt(r.berth.p10)}–${fmt(r.berth.p90)} | ${b ? `${fmt(b.median)} ${r.unit}` : ''} | ${b ? `${fmt(b.p10)}–${fmt(b.p90)}` : ''} | ${better} | ${r.berth.n}${b ? `/${b.n}` : ''} |`,
    );
  }
  return lines.join('\n');
}

export const loadavg = (): string => readFileSync('/proc/loadavg', 'utf8').trim();

function version(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).split('\n')[0]!.trim();
  } catch {
    return 'unknown';
  }
}

export function machine(): Record<string, unknown> {
  return {
    cores: cpus().length,
    cpuModel: cpus()[0]?.model,
    memoryBytes: totalmem(),
    hostKernel: release(),
    accel: process.env.BERTH_ACCEL ?? 'tcg',
    qemu: version('qemu-system-x86_64', ['--version']),
    node: process.version,
    dockerCli: version('docker', ['--version']),
    kvm: existsSync('/dev/kvm') ? '/dev/kvm present (nested guests hang here: TCG used, see /work/shared/FACTS.md)' : 'absent',
  };
}

/** One section's outcome as stored in the day's JSON. */
export type SectionResult = {
  section: string;
  startedAt: string;
  seconds: number;
  loadBefore: string;
  loadAfter: string;
  reps: number;
  rows: Row[];
  samples: Comparison[];
  details?: Record<string, unknown>;
};

/**
 * Merge a section into test/bench/results/<date>.json (one file a day; a section run again replaces
 * its earlier entry), with the machine's description. Written atomically.
 */
export function writeSection(r: SectionResult): string {
  const date = new Date().toISOString().slice(0, 10);
  const dir = join(repoRoot, 'test', 'bench', 'results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, `${date}.json`);
  const old = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { sections?: Record<string, SectionResult> }) : {};
  const doc = {
    date,
    updatedAt: new Date().toISOString(),
    machine: machine(),
    method: `each figure next to its baseline in the same run, alternating, medians of ${REPS} (BENCH_REPS / BENCH_QUICK); nothing asserts a time`,
    sections: { ...(old.sections ?? {}), [r.section]: r },
  };
  writeFileSync(`${file}.tmp`, `${JSON.stringify(doc, null, 2)}\n`);
  renameSync(`${file}.tmp`, file);
  return file;
}
