// Owns: which links the browser UI may open in a new tab (T-37): http(s) only, no credentials, and
// this machine only on a port Berth publishes. Pure: checked after WHATWG URL parsing, never by prefix.
import type { PortForward } from '../../../helpers/api/ports.ts';

export type ExternalUrlDecision = { ok: true; url: string } | { ok: false; reason: string };

export const MAX_EXTERNAL_URL = 2048;

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '[::1]', '0.0.0.0', '[::]']);

function isThisMachine(hostname: string): boolean {
  const h = hostname.toLowerCase().replace(/\.$/, '');
  return LOOPBACK_NAMES.has(h) || h.endsWith('.localhost') || /^127\.\d+\.\d+\.\d+$/.test(h) || h.startsWith('[::ffff:7f') || h === '[::ffff:0:0]';
}

/** Host ports a link to localhost may use: those whose forward answers now (a conflict port is another program's). */
export function publishedPorts(forwards: readonly PortForward[]): Set<number> {
  return new Set(forwards.filter((f) => f.state === 'forwarding' && f.protocol === 'tcp').map((f) => f.hostPort));
}

/**
 * May the UI open this link? https to a named host; http or https to this machine only on a port in
 * `localPorts`. Never javascript:, data:, file: or any other scheme, credentials, whitespace, control
 * characters or backslashes (the parser would rewrite them, so what was checked would not be what opens).
 * On ok, open exactly `url` (the normalized form).
 */
export function checkExternalUrl(raw: unknown, localPorts: ReadonlySet<number>): ExternalUrlDecision {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, reason: 'the link is empty' };
  if (raw.length > MAX_EXTERNAL_URL) return { ok: false, reason: `the link is longer than ${MAX_EXTERNAL_URL} characters` };
  // eslint-disable-next-line no-control-regex
  if (/[\s\u0000-\u001f\u007f\\]/.test(raw)) return { ok: false, reason: 'the link contains spaces, control characters or backslashes' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'the link is not a full URL (like http://localhost:8080)' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return { ok: false, reason: `links with ${url.protocol} are never opened: only http and https` };
  if (url.username !== '' || url.password !== '') return { ok: false, reason: 'links with a user name or password are not opened' };
  if (url.hostname === '') return { ok: false, reason: 'the link has no host' };
  if (isThisMachine(url.hostname)) {
    const port = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
    if (!localPorts.has(port)) return { ok: false, reason: `port ${port} on this machine is not a port Berth publishes for a container` };
    return { ok: true, url: url.href };
  }
  if (url.protocol !== 'https:') return { ok: false, reason: 'plain http links are opened only for published ports on localhost' };
  return { ok: true, url: url.href };
}

/** The link for a published port, as the Containers screen shows it. */
export function localPortUrl(port: number): string {
  return `http://localhost:${port}/`;
}
