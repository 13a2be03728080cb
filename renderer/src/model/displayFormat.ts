// Owns: numbers as the screens show them — sizes in binary units, shares as percents, uptimes and
// "3 days ago". Pure; `now` is passed in so the wording is testable.

const UNITS = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB'] as const;

/** 1536 → "1.5 KiB"; 3 significant figures at most; a negative size (Docker's "unknown") → "—". */
export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '—';
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < UNITS.length - 1) {
    value /= 1024;
    unit++;
  }
  if (unit === 0) return `${value} ${value === 1 ? 'byte' : 'bytes'}`;
  const shown = value >= 100 ? Math.round(value) : value >= 10 ? Math.round(value * 10) / 10 : Math.round(value * 100) / 100;
  return `${shown} ${UNITS[unit]}`;
}

/** 0.256 → "26%" (share 0..1). */
export function formatPercent(share: number): string {
  return `${Math.round(Math.min(1, Math.max(0, share)) * 100)}%`;
}

/** Seconds → "45 s", "12 min", "3 h 5 min", "2 days 4 h". */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return m % 60 === 0 ? `${h} h` : `${h} h ${m % 60} min`;
  const d = Math.floor(h / 24);
  return `${d} ${d === 1 ? 'day' : 'days'}${h % 24 === 0 ? '' : ` ${h % 24} h`}`;
}

/** Unix seconds → "just now", "5 minutes ago", "3 days ago", "2 years ago". */
export function formatAgo(unixSeconds: number, nowMs: number): string {
  const s = Math.floor(nowMs / 1000 - unixSeconds);
  if (s < 60) return 'just now';
  const steps: [number, string][] = [
    [365 * 86400, 'year'],
    [30 * 86400, 'month'],
    [7 * 86400, 'week'],
    [86400, 'day'],
    [3600, 'hour'],
    [60, 'minute'],
  ];
  for (const [size, name] of steps) {
    if (s >= size) {
      const n = Math.floor(s / size);
      return `${n} ${name}${n === 1 ? '' : 's'} ago`;
    }
  }
  return 'just now';
}

/** "sha256:abc…" → the 12-character id Docker shows. */
export function shortId(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12);
}

/** berthd's lower-case phrases as sentences: "the VM shut down in 2 s" → "The VM shut down in 2 s." */
export function sentence(text: string): string {
  const t = text.trim();
  if (t === '') return t;
  // Names written in lower case stay so ("berthd is not running").
  const capital = /^(berthd|dockerd|containerd|docker|qemu|berth|runc)\b/.test(t) ? t : t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?…)]$/.test(capital) ? capital : `${capital}.`;
}
