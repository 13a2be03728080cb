// Owns: what a loaded settings object goes through before validation: keys this Berth does not know
// are split off, missing keys take their defaults, and values past this host's limits are fitted to it.
import { formatSize, HOST_MEMORY_RESERVE, MiB, MIN_MEMORY, parseSize, settingsLimits, settingsSchema, type Settings, type SettingsHostFacts } from '../../api/settings.ts';

type Raw = Record<string, unknown>;
export type Repaired = { value: Raw; notes: string[] };

const shape = settingsSchema.shape;
const KNOWN = {
  top: Object.keys(shape),
  ports: Object.keys(shape.ports.shape),
  docker: Object.keys(shape.docker.shape),
  proxy: Object.keys(shape.docker.shape.proxy.shape),
  share: Object.keys(shape.shares.element.shape),
};

/*
 * Unknown keys (decision): Docker Desktop drops them silently, and users lose settings a newer version
 * or a hand edit put there without a word. Berth keeps them out of the settings it uses, lists them in
 * the load report (`unknownKeys`, with a note saying they go at the next save), and drops them when it
 * next saves. The file itself keeps them until then; a file from a newer Berth is never rewritten at all.
 * docker.daemon is daemon.json's own object: its keys pass through whole.
 */
export function splitUnknownKeys(raw: Raw): { known: Raw; unknown: string[] } {
  const unknown: string[] = [];
  const keep = (obj: Raw, known: string[], prefix: string): Raw => {
    const out: Raw = {};
    for (const [k, v] of Object.entries(obj)) {
      if (known.includes(k)) out[k] = v;
      else unknown.push(`${prefix}${k}`);
    }
    return out;
  };
  const known = keep(raw, KNOWN.top, '');
  if (isRecord(known.ports)) known.ports = keep(known.ports, KNOWN.ports, 'ports.');
  if (isRecord(known.docker)) {
    const docker = keep(known.docker, KNOWN.docker, 'docker.');
    if (isRecord(docker.proxy)) docker.proxy = keep(docker.proxy, KNOWN.proxy, 'docker.proxy.');
    known.docker = docker;
  }
  if (Array.isArray(known.shares)) known.shares = known.shares.map((s: unknown, i) => (isRecord(s) ? keep(s, KNOWN.share, `shares[${i}].`) : s));
  return { known, unknown };
}

/** Missing keys (a hand edit, an old bug) take the defaults, each one noted. Wrong types are left for validation. */
export function fillMissingKeys(raw: Raw, defaults: Settings): Repaired {
  const notes: string[] = [];
  const fill = (obj: Raw, defs: Raw, prefix: string): Raw => {
    const out: Raw = { ...obj };
    for (const [k, d] of Object.entries(defs)) {
      if (Object.hasOwn(obj, k) && obj[k] !== undefined) continue;
      out[k] = d;
      notes.push(`settings.json has no ${prefix}${k}; using the default (${JSON.stringify(d)})`);
    }
    return out;
  };
  const value = fill(raw, defaults, '');
  if (isRecord(value.ports)) value.ports = fill(value.ports, defaults.ports, 'ports.');
  if (isRecord(value.docker)) value.docker = fill(value.docker, defaults.docker, 'docker.');
  return { value, notes };
}

/**
 * Settings made on a bigger host (a restored backup, a moved home folder) still start a VM here: CPUs
 * and memory past this host's limits come down to them, and a disk setting smaller than the VM's disk
 * goes up to its size (a disk only grows). Each fit is noted; anything else wrong is left for validation.
 */
export function fitToHost(raw: Raw, host: SettingsHostFacts): Repaired {
  const notes: string[] = [];
  const value: Raw = { ...raw };
  const l = settingsLimits(host);
  for (const key of ['memory', 'disk'] as const) {
    const v = value[key];
    if (typeof v !== 'string') continue;
    const r = parseSize(v, key);
    if (r.ok) value[key] = r.bytes;
  }
  const { cpus, memory, disk } = value;
  if (isWhole(cpus) && cpus > l.cpus.max) {
    value.cpus = l.cpus.max;
    notes.push(`cpus ${cpus} is more than this host has; using ${l.cpus.max} (the host has ${l.cpus.max} CPUs)`);
  }
  if (isWhole(memory) && memory > l.memory.max && memory >= MIN_MEMORY) {
    value.memory = l.memory.max;
    notes.push(`memory ${formatSize(memory)} is more than this host can give; using ${formatSize(l.memory.max)} (host RAM ${formatSize(host.memoryBytes)} less ${formatSize(HOST_MEMORY_RESERVE)} for the host)`);
  }
  const current = host.currentDiskBytes;
  if (isWhole(disk) && current !== undefined && disk < current) {
    value.disk = Math.ceil(current / MiB) * MiB;
    notes.push(`disk ${formatSize(disk)} is smaller than the VM's disk, which is already ${formatSize(current)}; using ${formatSize(current)} (a disk only grows)`);
  }
  return { value, notes };
}

function isWhole(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v);
}

function isRecord(v: unknown): v is Raw {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
