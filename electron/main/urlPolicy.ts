// Owns: which URLs the shell may hand to the OS (shell.openExternal, T-37) and where its windows may
// navigate (T-38). Pure: URLs are parsed with WHATWG URL and checked after parsing, never by prefix.
import { APP_HOST, APP_SCHEME } from './appProtocol.ts';

export type UrlDecision = { ok: true; url: string } | { ok: false; reason: string };

export interface ExternalUrlContext {
  /** Host ports of published container ports the user may open (from berthd's `ports` event). */
  confirmedLocalPorts?: ReadonlySet<number>;
}

/** Longer than any link Berth shows; a longer one is refused rather than parsed. */
export const MAX_URL_LENGTH = 2048;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0', '[::]']);

function isLoopback(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return LOOPBACK_NAMES.has(h) || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h.startsWith('[::ffff:7f');
}

/**
 * Parses a URL strictly: a string with no whitespace, control characters or backslashes anywhere
 * (the URL parser would silently strip or rewrite them, so what we checked would not be what opens).
 */
function parseStrict(raw: unknown): URL | string {
  if (typeof raw !== 'string') return 'not a string';
  if (raw.length === 0 || raw.length > MAX_URL_LENGTH) return 'empty or too long';
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f\\]/.test(raw)) return 'contains whitespace, control characters or backslashes';
  try {
    return new URL(raw);
  } catch {
    return 'not an absolute URL';
  }
}

/**
 * May this URL go to shell.openExternal? Only https to a named host, and http(s) to this machine
 * only on a published port the user was shown. Never file:, smb:, javascript:, data:, search-ms:,
 * UNC paths, custom schemes, or URLs with credentials. On ok, open exactly `url` (the normalized form:
 * an IDN host is in punycode, so the browser shows what it is).
 */
export function checkExternalUrl(raw: unknown, ctx: ExternalUrlContext = {}): UrlDecision {
  const url = parseStrict(raw);
  if (typeof url === 'string') return { ok: false, reason: url };
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return { ok: false, reason: `scheme ${url.protocol} is never opened` };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'URLs with credentials are not opened' };
  if (url.hostname === '') return { ok: false, reason: 'no host' };
  if (isLoopback(url.hostname)) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (!ctx.confirmedLocalPorts?.has(port)) return { ok: false, reason: `port ${port} on this machine is not a published container port` };
    return { ok: true, url: url.href };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'plain http is opened only for published ports on localhost' };
  return { ok: true, url: url.href };
}

export function mayOpenExternal(raw: unknown, ctx: ExternalUrlContext = {}): boolean {
  return checkExternalUrl(raw, ctx).ok;
}

/** Is this a page of the app itself (berth-app://ui/…)? Used for navigation and IPC sender checks. */
export function isAppUrl(raw: unknown): boolean {
  const url = parseStrict(raw);
  if (typeof url === 'string') return false;
  return (
    url.protocol === `${APP_SCHEME}:` &&
    // Node keeps a non-special scheme's host as written; Chromium lowercases a standard scheme's.
    url.hostname.toLowerCase() === APP_HOST &&
    url.port === '' &&
    url.username === '' &&
    url.password === ''
  );
}

/** will-navigate / will-redirect: a window may only move between the app's own pages. */
export function mayNavigate(raw: unknown): boolean {
  return isAppUrl(raw);
}

/**
 * setWindowOpenHandler (window.open, target=_blank): never a new Electron window. A link that passes
 * checkExternalUrl goes to the user's browser instead; the caller opens `openExternal` when set.
 */
export function windowOpenDecision(raw: unknown, ctx: ExternalUrlContext = {}): { action: 'deny'; openExternal?: string } {
  const d = checkExternalUrl(raw, ctx);
  return d.ok ? { action: 'deny', openExternal: d.url } : { action: 'deny' };
}
