// Owns: settings version 4 — the zod schema and type, defaults and host-aware validation, sizes in
// human units (parseSize/formatSize) and which changes need a VM restart. zod only: the UI shares it.
import { z } from 'zod';

export const SETTINGS_VERSION = 4;
export const KiB = 1024;
export const MiB = 1024 ** 2;
export const GiB = 1024 ** 3;
export const TiB = 1024 ** 4;
/** RAM left to the host when sizing the VM. */
export const HOST_MEMORY_RESERVE = 2 * GiB;
export const MIN_MEMORY = GiB;
export const DEFAULT_MEMORY = 2 * GiB;
export const MIN_DISK = 8 * GiB;
export const MAX_DISK = 16 * TiB;
export const DEFAULT_DISK = 64 * GiB;
/** No size Berth handles comes near 1 PiB: anything above is a typo (T-19). */
export const SIZE_CEILING = 1024 ** 5;

export const accelChoices = ['auto', 'kvm', 'hvf', 'whpx', 'tcg'] as const;
/**
 * The hypervisor that runs the VM (docs/drivers.md): QEMU on every OS (the default), HyperKit on Intel
 * Macs, Hyper-V on Windows. Each keeps its own data disk (qcow2, raw, VHDX): switching starts empty.
 */
export const driverChoices = ['qemu', 'hyperkit', 'hyperv'] as const;
export const bindAddresses = ['127.0.0.1', '0.0.0.0', '::1', '::'] as const;

/**
 * What validation knows of the host; `home` is the folder shared by default. `platform` and `arch`
 * (Node's names: darwin, win32, linux; x64, arm64), when given, let validation refuse a driver that
 * cannot run here.
 */
export type SettingsHostFacts = { cpus: number; memoryBytes: number; currentDiskBytes?: number; home: string; platform?: string; arch?: string };

const shareSchema = z.strictObject({ hostPath: z.string(), writable: z.boolean() });
const proxySchema = z.strictObject({ http: z.string().optional(), https: z.string().optional(), noProxy: z.string().optional() });

/** settings.json as stored (sizes in bytes). The shape only: validateSettings adds the host's limits. */
export const settingsSchema = z.strictObject({
  version: z.literal(SETTINGS_VERSION),
  cpus: z.number().int(),
  memory: z.number().int(),
  disk: z.number().int(),
  accel: z.enum(accelChoices),
  driver: z.enum(driverChoices),
  shares: z.array(shareSchema),
  ports: z.strictObject({ bindAddress: z.enum(bindAddresses) }),
  docker: z.strictObject({ daemon: z.record(z.string(), z.json()), proxy: proxySchema }),
  startAtLogin: z.boolean(),
  stopVmOnQuit: z.boolean(),
});
export type Settings = z.infer<typeof settingsSchema>;
export type SettingsProblem = { key: string; message: string };
export type SettingsCheck = { ok: true; settings: Settings } | { ok: false; problems: SettingsProblem[] };

// ---- sizes ----

export type SizeResult = { ok: true; bytes: number } | { ok: false; message: string };
/** Binary units whatever the spelling, as Docker and QEMU read them: 2G = 2GB = 2GiB. */
const UNITS: Record<string, number> = { '': 1, b: 1, k: KiB, kb: KiB, kib: KiB, m: MiB, mb: MiB, mib: MiB, g: GiB, gb: GiB, gib: GiB, t: TiB, tb: TiB, tib: TiB };

/** "3GiB", "512MiB", "2G", "1.5 GiB", "1073741824" or a number, to bytes; `what` names the setting in messages, `least` its minimum. */
export function parseSize(input: string | number, what = 'size', least = 0): SizeResult {
  const fail = (why: string): SizeResult => ({ ok: false, message: `${what} ${show(input)} ${why}` });
  let value = typeof input === 'number' ? input : NaN;
  let unit = 1;
  if (typeof input === 'string') {
    const m = /^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+))\s*([a-z]*)\s*$/i.exec(input);
    if (!m) return fail('is not a size: write a number of bytes or a number with a unit, like 4GiB or 512MiB');
    const u = UNITS[(m[2] ?? '').toLowerCase()];
    if (u === undefined) return fail(`has a unit Berth does not know ("${m[2]}"): use B, KiB, MiB, GiB or TiB`);
    value = Number(m[1]);
    unit = u;
  }
  if (!Number.isFinite(value)) return fail('is not a number: write a size like 4GiB');
  if (value < 0) return fail(least > 0 ? `is negative: ${what} is at least ${formatSize(least)}` : 'is negative: a size is 0 or more');
  const bytes = value * unit;
  if (bytes > SIZE_CEILING) return fail(`is absurdly large: no size Berth uses comes near ${formatSize(SIZE_CEILING)}`);
  if (!Number.isInteger(bytes)) return fail('is not a whole number of bytes: write it in a smaller unit, like 1433MiB rather than 1.4GiB');
  return { ok: true, bytes };
}

/** Bytes for people: "22 GiB", "1.5 GiB", "about 21.43 GiB", "4 bytes". */
export function formatSize(bytes: number): string {
  const units: [string, number][] = [['PiB', SIZE_CEILING], ['TiB', TiB], ['GiB', GiB], ['MiB', MiB], ['KiB', KiB]];
  for (const [name, size] of units) {
    if (Math.abs(bytes) < size) continue;
    const exact = bytes / size;
    const shown = Math.round(exact * 100) / 100;
    return `${shown === exact ? '' : 'about '}${shown} ${name}`;
  }
  return `${bytes} ${bytes === 1 ? 'byte' : 'bytes'}`;
}

const sizeInput = (key: 'memory' | 'disk') =>
  z.union([z.number(), z.string()]).transform((v, ctx) => {
    const r = parseSize(v, key, key === 'memory' ? MIN_MEMORY : MIN_DISK);
    if (r.ok) return r.bytes;
    ctx.addIssue({ code: 'custom', message: r.message });
    return z.NEVER;
  });
/** What a person or the UI may send: the stored shape, with sizes also as human strings ("4GiB"). */
export const settingsInputSchema = settingsSchema.extend({ memory: sizeInput('memory'), disk: sizeInput('disk') });

// ---- limits and defaults ----

export type SettingsLimits = { cpus: { min: number; max: number }; memory: { min: number; max: number }; disk: { min: number; max: number } };

export function settingsLimits(host: SettingsHostFacts): SettingsLimits {
  const memoryMax = Math.floor((host.memoryBytes - HOST_MEMORY_RESERVE) / MiB) * MiB;
  return {
    cpus: { min: 1, max: Math.max(1, Math.floor(host.cpus)) },
    // A host too small to spare 1 GiB still gets the minimum; the VM will be tight.
    memory: { min: MIN_MEMORY, max: Math.max(MIN_MEMORY, memoryMax) },
    disk: { min: Math.max(MIN_DISK, host.currentDiskBytes ?? 0), max: MAX_DISK },
  };
}

export function defaultSettings(host: SettingsHostFacts): Settings {
  const l = settingsLimits(host);
  return {
    version: SETTINGS_VERSION,
    cpus: Math.min(2, l.cpus.max),
    memory: Math.min(DEFAULT_MEMORY, l.memory.max),
    disk: Math.max(DEFAULT_DISK, Math.ceil((host.currentDiskBytes ?? 0) / MiB) * MiB),
    accel: 'auto',
    driver: 'qemu',
    shares: [{ hostPath: host.home, writable: true }],
    ports: { bindAddress: '127.0.0.1' },
    docker: { daemon: {}, proxy: {} },
    startAtLogin: false,
    stopVmOnQuit: true,
  };
}

// ---- validation ----

/** The whole object (sizes may be human strings) against the shape and this host's limits. */
export function validateSettings(input: unknown, host: SettingsHostFacts): SettingsCheck {
  const parsed = settingsInputSchema.safeParse(input, { reportInput: true });
  if (!parsed.success) return { ok: false, problems: parsed.error.issues.map(describeIssue) };
  const problems = settingsProblems(parsed.data, host);
  return problems.length > 0 ? { ok: false, problems } : { ok: true, settings: parsed.data };
}

/** A partial change over the current settings; `ports` and `docker` merge one level, lists and daemon.json are replaced whole. */
export function applySettingsChange(current: Settings, change: unknown, host: SettingsHostFacts): SettingsCheck {
  if (!isRecord(change)) return { ok: false, problems: [{ key: '', message: `a settings change is a JSON object like {"cpus": 4}, not ${show(change)}` }] };
  const merged: Record<string, unknown> = { ...current, ...change };
  if (isRecord(change.ports)) merged.ports = { ...current.ports, ...change.ports };
  if (isRecord(change.docker)) merged.docker = { ...current.docker, ...change.docker };
  return validateSettings(merged, host);
}

/** The host limits and the rules zod's shape cannot say; [] when the settings can be used. */
export function settingsProblems(s: Settings, host: SettingsHostFacts): SettingsProblem[] {
  const l = settingsLimits(host);
  const out: SettingsProblem[] = [];
  const add = (key: string, message: string) => out.push({ key, message });
  if (s.cpus < l.cpus.min) add('cpus', `cpus ${s.cpus} is too few: the VM needs at least ${l.cpus.min} CPU`);
  else if (s.cpus > l.cpus.max) add('cpus', `cpus ${s.cpus} is more than this host has: at most ${l.cpus.max} (the host has ${l.cpus.max} CPUs)`);

  const hostRam = host.memoryBytes - HOST_MEMORY_RESERVE >= MIN_MEMORY
    ? `host RAM ${formatSize(host.memoryBytes)} less ${formatSize(HOST_MEMORY_RESERVE)} for the host`
    : `Berth's minimum: host RAM ${formatSize(host.memoryBytes)} cannot also spare ${formatSize(HOST_MEMORY_RESERVE)} for the host`;
  if (s.memory < l.memory.min) add('memory', `memory ${formatSize(s.memory)} is less than the VM needs: at least ${formatSize(l.memory.min)} (this host allows up to ${formatSize(l.memory.max)})`);
  else if (s.memory > l.memory.max) add('memory', `memory ${formatSize(s.memory)} is more than this host can give: at most ${formatSize(l.memory.max)} (${hostRam})`);
  else if (s.memory % MiB !== 0) add('memory', `memory ${s.memory} bytes is not a whole number of MiB, which QEMU needs: use ${formatSize(Math.floor(s.memory / MiB) * MiB)}`);

  const current = host.currentDiskBytes;
  if (current !== undefined && s.disk < current) add('disk', `disk ${formatSize(s.disk)} is smaller than the VM's disk, which is already ${formatSize(current)}: a disk can only grow; choose ${formatSize(current)} or more (to start over with a smaller disk, reset the VM's disk)`);
  else if (s.disk < MIN_DISK) add('disk', `disk ${formatSize(s.disk)} is too small for Docker's images and volumes: at least ${formatSize(MIN_DISK)}`);
  else if (s.disk > MAX_DISK) add('disk', `disk ${formatSize(s.disk)} is more than Berth supports: at most ${formatSize(MAX_DISK)}`);
  else if (s.disk % MiB !== 0) add('disk', `disk ${s.disk} bytes is not a whole number of MiB: use ${formatSize(Math.ceil(s.disk / MiB) * MiB)}`);

  const driverProblem = driverProblemOn(s.driver, host);
  if (driverProblem) add('driver', driverProblem);

  out.push(...shareProblems(s.shares));
  // T-01/T-03: the Docker API is reachable only through Berth's socket, never a TCP listener in the VM.
  // dockerd reads daemon.json keys case-insensitively (Go's encoding/json), so "Hosts" counts too.
  for (const k of Object.keys(s.docker.daemon)) {
    if (/^(hosts|tls.*)$/i.test(k)) add(`docker.daemon.${k}`, `docker.daemon "${k}" is not allowed: Berth serves Docker only through its socket, never on TCP; remove "${k}" (the docker CLI reaches Berth through the "berth" context)`);
  }
  for (const k of ['http', 'https', 'noProxy'] as const) {
    const v = s.docker.proxy[k];
    if (v === undefined || v === '') continue;
    if (k === 'noProxy' ? !NO_PROXY.test(v) : !PROXY_URL.test(v)) {
      add(`docker.proxy.${k}`, `docker.proxy.${k} ${show(v)} is not ${expectedAt(`docker.proxy.${k}`)} (percent-encode spaces, quotes, \\ and $)`);
    }
  }
  return out;
}

/** Why `driver` cannot run on this host (when the host's platform is known), or undefined. */
export function driverProblemOn(driver: Settings['driver'], host: Pick<SettingsHostFacts, 'platform' | 'arch'>): string | undefined {
  if (host.platform === undefined || driver === 'qemu') return undefined;
  if (driver === 'hyperkit') {
    if (host.platform === 'darwin' && host.arch === 'arm64') return 'driver "hyperkit" cannot run on Apple Silicon (HyperKit is Intel-only): use driver "qemu", which runs on Hypervisor.framework (HVF) there';
    if (host.platform !== 'darwin' || host.arch !== 'x64') return 'driver "hyperkit" runs only on Intel Macs: use driver "qemu"';
  }
  if (driver === 'hyperv' && host.platform !== 'win32') return 'driver "hyperv" runs only on Windows (Pro, Enterprise or Education with Hyper-V on): use driver "qemu"';
  return undefined;
}

const PROXY_URL = /^(https?|socks5h?):\/\/[^\s/?#'"`\\$]+(\/[^\s'"`\\$]*)?$/i;
const NO_PROXY = /^[^\s'"`\\$]*$/;

/** A comparable form of an absolute host path (Windows paths case-insensitive), or why it is not one. */
function pathKey(p: string): { key: string } | { why: string } {
  if ([...p].some((c) => c.charCodeAt(0) < 0x20)) return { why: 'contains control characters' };
  const win = /^[A-Za-z]:[\\/]/.test(p) || p.startsWith('\\\\');
  if (!win && !p.startsWith('/')) return { why: 'is not an absolute path: write the full path, like /Users/you/code or C:\\Users\\you\\code' };
  const slashed = win ? p.replace(/\\/g, '/') : p;
  const prefix = /^[A-Za-z]:/.test(slashed) ? slashed.slice(0, 2).toLowerCase() : slashed.startsWith('//') ? '/' : '';
  const parts = slashed.slice(prefix === '/' ? 0 : prefix.length).split('/').filter((x) => x !== '');
  if (parts.some((x) => x === '.' || x === '..')) return { why: 'contains . or .. : write the path without them' };
  const key = `${prefix}/${parts.join('/')}`;
  return { key: win ? key.toLowerCase() : key };
}

function shareProblems(shares: Settings['shares']): SettingsProblem[] {
  const out: SettingsProblem[] = [];
  const seen: { i: number; key: string; path: string }[] = [];
  shares.forEach((s, i) => {
    const k = pathKey(s.hostPath);
    const key = `shares[${i}].hostPath`;
    if ('why' in k) {
      out.push({ key, message: `${key} ${show(s.hostPath)} ${k.why}` });
      return;
    }
    const twin = seen.find((o) => o.key === k.key);
    if (twin) {
      out.push({ key, message: `shares lists ${s.hostPath} twice (shares[${twin.i}] and shares[${i}]): keep one` });
      return;
    }
    const inside = (a: string, b: string) => a.startsWith(b.endsWith('/') ? b : `${b}/`);
    for (const o of seen) {
      if (inside(k.key, o.key) || inside(o.key, k.key)) {
        const [inner, outer] = inside(k.key, o.key) ? [s.hostPath, o.path] : [o.path, s.hostPath];
        out.push({ key, message: `shares ${inner} is inside ${outer}, which is shared too: a folder inside a shared folder is shared already, so remove one of them` });
      }
    }
    seen.push({ i, key: k.key, path: s.hostPath });
  });
  return out;
}

// ---- zod issues in words ----

const BOOL = 'true or false';
const EXPECTED: Record<string, string> = {
  '': 'a JSON object',
  version: `${SETTINGS_VERSION}`,
  cpus: 'a whole number of CPUs, like 2',
  memory: 'a size, like 4GiB',
  disk: 'a size, like 64GiB',
  accel: `one of ${accelChoices.join(', ')}`,
  driver: `one of ${driverChoices.join(', ')}`,
  shares: 'a list of folders like [{"hostPath": "/Users/you", "writable": true}]',
  'shares[]': 'a folder like {"hostPath": "/Users/you", "writable": true}',
  'shares[].hostPath': 'a folder path, like /Users/you/code',
  'shares[].writable': BOOL,
  ports: 'an object like {"bindAddress": "127.0.0.1"}',
  'ports.bindAddress': `one of ${bindAddresses.join(', ')} (127.0.0.1 is this computer only)`,
  docker: 'an object like {"daemon": {}, "proxy": {}}',
  'docker.daemon': 'a JSON object (what daemon.json holds)',
  'docker.proxy': 'an object with http, https and noProxy',
  'docker.proxy.http': 'a proxy URL, like http://proxy.example.com:3128',
  'docker.proxy.https': 'a proxy URL, like http://proxy.example.com:3128',
  'docker.proxy.noProxy': 'a comma-separated list of hosts, like localhost,.corp.example.com',
  startAtLogin: BOOL,
  stopVmOnQuit: BOOL,
};

function expectedAt(key: string): string {
  const generic = key.replace(/\[\d+\]/g, '[]');
  return EXPECTED[generic] ?? (generic.startsWith('docker.daemon.') ? 'a JSON value' : 'valid here');
}

function keyOf(path: readonly PropertyKey[]): string {
  return path.map((p, i) => (typeof p === 'number' ? `[${p}]` : `${i > 0 ? '.' : ''}${String(p)}`)).join('');
}

function describeIssue(iss: z.core.$ZodIssue): SettingsProblem {
  const key = keyOf(iss.path);
  if (iss.code === 'custom') return { key, message: iss.message };
  if (iss.code === 'unrecognized_keys') {
    const names = iss.keys.map((k) => keyOf([...iss.path, k]));
    return { key: names[0] ?? key, message: `${names.join(', ')} ${names.length > 1 ? 'are not settings' : 'is not a setting'} Berth knows: check the spelling, or remove it` };
  }
  if (key === '') return { key, message: `settings must be ${EXPECTED['']}, not ${show(iss.input)}` };
  if (iss.input === undefined) return { key, message: `${key} is missing: set it to ${expectedAt(key)}` };
  return { key, message: `${key} ${show(iss.input)} is not ${expectedAt(key)}` };
}

function show(v: unknown): string {
  if (typeof v === 'number' || v === undefined) return String(v);
  const s = JSON.stringify(v) ?? String(v);
  return s.length > 60 ? `${s.slice(0, 57)}...` : s;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

// ---- what a change needs ----

export const restartKeys = ['cpus', 'memory', 'disk', 'accel', 'driver', 'shares', 'docker.daemon', 'docker.proxy'] as const;
export const liveKeys = ['ports.bindAddress', 'startAtLogin', 'stopVmOnQuit'] as const;

/** Every setting that differs (object key order ignored), restart-needing ones first. */
export function changedKeys(before: Settings, after: Settings): string[] {
  const at = (s: Settings, key: string): unknown => key.split('.').reduce<unknown>((v, k) => (isRecord(v) ? v[k] : undefined), s);
  const canonical = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (isRecord(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) : x));
  return [...restartKeys, ...liveKeys].filter((k) => canonical(at(before, k)) !== canonical(at(after, k)));
}

/** The changed settings that only take effect after the VM restarts; the others apply live. */
export function restartNeeded(before: Settings, after: Settings): string[] {
  const changed = changedKeys(before, after);
  return restartKeys.filter((k) => changed.includes(k));
}
