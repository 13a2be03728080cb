// Owns: judging a container-create body's bind mounts against the shares (pure): a host source outside every
// share, or a writable bind into a read-only share, is refused with a message naming the setting and the fix.

export type Share = { hostPath: string; writable: boolean };
export type CreateCheck = { ok: true } | { ok: false; message: string };
/** One bind mount of a create request: the host source as written, and whether the container may write. */
export type BindSource = { source: string; writes: boolean };

/** The VM's own paths users bind on purpose (docker-in-docker, host introspection): never refused. */
export const VM_PATHS = ['/var/run/docker.sock', '/run/docker.sock', '/proc', '/sys', '/dev', '/lib/modules', '/var/lib/docker'];

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const DRIVE = /^[A-Za-z]:[\\/]/;

/** Go's encoding/json, which dockerd decodes with, matches field names case-insensitively (ſ is s, K is k). */
const fold = (name: string): string => name.toLowerCase().replace(/\u017f/g, 's').replace(/\u212a/g, 'k');
function field(obj: unknown, name: string): unknown {
  if (!isRecord(obj)) return undefined;
  const want = fold(name);
  let value: unknown;
  for (const key of Object.keys(obj)) if (fold(key) === want) value = obj[key];
  return value;
}
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : []);

/** The bind mounts in HostConfig.Binds ("src:dst[:opts]" with a path source) and HostConfig.Mounts (Type "bind"). */
export function bindSources(body: unknown): BindSource[] {
  const host = field(body, 'HostConfig');
  const out: BindSource[] = [];
  for (const spec of list(field(host, 'Binds'))) {
    if (typeof spec !== 'string') continue;
    // A Windows drive's colon belongs to the source: C:\data:/data:ro.
    const drive = DRIVE.test(spec) ? 2 : 0;
    const rest = spec.slice(drive).split(':');
    // One part is an anonymous volume; more than three is invalid, and dockerd says so itself.
    if (rest.length < 2 || rest.length > 3) continue;
    const source = spec.slice(0, drive) + rest[0];
    // A name without '/' is a named volume; a relative path is no volume name either, and dockerd refuses it.
    if (!source.startsWith('/') && !drive && !source.startsWith('\\\\')) continue;
    out.push({ source, writes: !(rest[2] ?? '').split(',').includes('ro') });
  }
  for (const m of list(field(host, 'Mounts'))) {
    const source = field(m, 'Source');
    if (field(m, 'Type') !== 'bind' || typeof source !== 'string') continue;
    out.push({ source, writes: field(m, 'ReadOnly') !== true });
  }
  return out;
}

type HostPath = { path: string; key: string };

/**
 * An absolute path with `//`, a trailing `/`, `.` and `..` resolved lexically (`..` stops at the root), as
 * `path` for messages and `key` for comparing (Windows paths lower-cased); undefined when not absolute.
 */
export function normaliseHostPath(p: string): HostPath | undefined {
  const win = DRIVE.test(p) || p.startsWith('\\\\');
  if (!win && !p.startsWith('/')) return undefined;
  const slashed = win ? p.replace(/\\/g, '/') : p;
  const root = DRIVE.test(p) ? `${p.slice(0, 2).toUpperCase()}/` : win ? '//' : '/';
  const parts: string[] = [];
  for (const part of slashed.slice(root.length).split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') parts.pop();
    else parts.push(part);
  }
  const path = root + parts.join('/');
  return win ? { path: path.replace(/\//g, '\\'), key: path.toLowerCase() } : { path, key: path };
}

const inside = (key: string, folder: string): boolean => key === folder || key.startsWith(folder.endsWith('/') ? folder : `${folder}/`);

/** Is this bind source one of the VM's own paths (VM_PATHS or anything under them)? */
export const isVmPath = (key: string): boolean => VM_PATHS.some((v) => inside(key, v));

type Keyed = Share & { key: string };
type Refusal = { shown: string; at: HostPath; writes: boolean };

export function checkContainerCreate(body: unknown, shares: Share[]): CreateCheck {
  const keyed: Keyed[] = shares.flatMap((s) => {
    const n = normaliseHostPath(s.hostPath);
    return n ? [{ ...s, key: n.key }] : [];
  });
  const outside: Refusal[] = [];
  const readOnly: (Refusal & { share: Keyed })[] = [];
  for (const b of bindSources(body)) {
    const at = normaliseHostPath(b.source);
    if (!at || isVmPath(at.key)) continue;
    const holders = keyed.filter((s) => inside(at.key, s.key));
    const shown = at.path === b.source ? b.source : `${b.source} (that is ${at.path})`;
    if (holders.length === 0) outside.push({ shown, at, writes: b.writes });
    else if (b.writes && !holders.some((s) => s.writable)) readOnly.push({ shown, at, writes: true, share: holders[0]! });
  }
  if (outside.length === 0 && readOnly.length === 0) return { ok: true };
  return { ok: false, message: refusalMessage(shares, keyed, outside, readOnly) };
}

const unique = <T>(xs: T[], key: (x: T) => string): T[] => xs.filter((x, i) => xs.findIndex((y) => key(y) === key(x)) === i);

function refusalMessage(shares: Share[], keyed: Keyed[], outsideAll: Refusal[], readOnlyAll: (Refusal & { share: Keyed })[]): string {
  const outside = unique(outsideAll, (r) => r.shown);
  const readOnly = unique(readOnlyAll, (r) => r.shown);
  const listed = shares.length === 0 ? 'none' : shares.map((s) => `${s.hostPath}${s.writable ? '' : ' (read-only)'}`).join(', ');
  const problems: string[] = [];
  if (outside.length > 0) {
    const many = outside.length > 1;
    problems.push(`the bind mount source${many ? 's' : ''} ${outside.map((r) => r.shown).join(', ')} ${many ? 'are' : 'is'} not inside a folder Berth shares with the VM (setting "shares": ${listed})`);
  }
  for (const r of readOnly) problems.push(`the bind mount source ${r.shown} is writable, but it is inside ${r.share.hostPath}, which Berth shares with the VM read-only (setting "shares")`);
  const command = `berth settings set shares=${shellQuote(JSON.stringify(suggestedShares(keyed, outside, readOnly.map((r) => r.share))))} --apply`;
  const them = outside.length + readOnly.length > 1 ? 'them' : 'it';
  const fix =
    readOnly.length === 0
      ? `Add ${them} with: ${command}`
      : `Mount ${readOnly.length > 1 ? 'those' : 'that one'} read-only (add :ro to -v, or readonly to --mount), or ${outside.length > 0 ? 'fix all of them' : 'make the share writable'} with: ${command}`;
  return `Berth: ${problems.join('; and ')}. ${fix}`;
}

/** The shares plus each outside folder (absorbing shares inside it), with the read-only shares in the way made writable. */
function suggestedShares(keyed: Keyed[], outside: Refusal[], unlock: Keyed[]): Share[] {
  let next = keyed.map((s) => ({ ...s, writable: s.writable || unlock.includes(s) }));
  // Outermost folders first, so a folder inside another new one is covered by it.
  for (const r of [...outside].sort((a, b) => a.at.key.length - b.at.key.length)) {
    if (next.some((s) => inside(r.at.key, s.key))) continue;
    const absorbed = next.filter((s) => inside(s.key, r.at.key));
    next = next.filter((s) => !absorbed.includes(s));
    const writes = r.writes || absorbed.some((s) => s.writable) || outside.some((o) => o.writes && inside(o.at.key, r.at.key));
    next.push({ hostPath: r.at.path, writable: writes, key: r.at.key });
  }
  return next.map((s) => ({ hostPath: s.hostPath, writable: s.writable }));
}

const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;
