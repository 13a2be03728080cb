// Owns: the berth-app:// protocol handler — which request may read which file of the built renderer
// (pure: appFileTarget), and the Response with the app's CSP on every answer (T-36).
import { readFile } from 'node:fs/promises';
import { contentTypeFor, lookupStatic } from '../../helpers/client/dashboard/staticFiles.ts';
import { APP_HOST, APP_SCHEME } from './appProtocol.ts';
import { contentSecurityPolicy } from './windowOptions.ts';

export type AppFileTarget = { ok: true; target: string; head: boolean } | { ok: false; status: 400 | 403 | 405; reason: string };

/**
 * Which path of the renderer's files a request to the app protocol asks for, or why it is refused:
 * only GET/HEAD, only berth-app://ui (no other host, port or credentials), and a path with no
 * backslash, NUL, encoded slash or dot segment. The result is still percent-encoded; the file lookup
 * decodes it and checks it again against the files' real paths.
 */
export function appFileTarget(method: string, rawUrl: string): AppFileTarget {
  if (method !== 'GET' && method !== 'HEAD') return { ok: false, status: 405, reason: `${method} is not served by the app protocol` };
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { ok: false, status: 400, reason: 'not a URL' };
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.hostname.toLowerCase() !== APP_HOST || url.port !== '' || url.username !== '' || url.password !== '') {
    return { ok: false, status: 403, reason: `only ${APP_SCHEME}://${APP_HOST}/ is served` };
  }
  const path = url.pathname === '' ? '/' : url.pathname;
  if (/%(2f|5c|00)/i.test(path) || /[\\\0]/.test(path)) return { ok: false, status: 400, reason: 'encoded slash, backslash or NUL in the path' };
  let decoded: string;
  try {
    decoded = decodeURIComponent(path);
  } catch {
    return { ok: false, status: 400, reason: 'bad percent-encoding' };
  }
  const segments = decoded.split('/');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 403, reason: 'dot segment in the path' };
  // A Windows drive letter or an NTFS stream name ("index.html:x") never names a renderer file.
  if (segments.some((s) => s.includes(':'))) return { ok: false, status: 403, reason: 'colon in the path' };
  return { ok: true, target: path, head: method === 'HEAD' };
}

/** Headers every answer of the app protocol carries, errors included. */
export function appHeaders(contentType: string): Record<string, string> {
  return {
    'content-type': contentType,
    'content-security-policy': contentSecurityPolicy(),
    'x-content-type-options': 'nosniff',
    'cache-control': 'no-cache',
  };
}

function refusal(status: number, reason: string): Response {
  return new Response(reason, { status, headers: appHeaders('text/plain; charset=utf-8') });
}

/**
 * The handler for protocol.handle(APP_SCHEME, …): `rendererRoot` is the real path of the built
 * renderer (renderer/dist, or <resources>/renderer in a packaged app).
 */
export async function serveAppFile(rendererRoot: string, request: { method: string; url: string }): Promise<Response> {
  const target = appFileTarget(request.method, request.url);
  if (!target.ok) return refusal(target.status, target.reason);
  const found = await lookupStatic(rendererRoot, target.target);
  if (!found.ok) return refusal(found.status, found.error.message);
  const body = await readFile(found.file);
  return new Response(target.head ? null : body, { status: 200, headers: appHeaders(contentTypeFor(found.file)) });
}
