// Owns: serving the built renderer (renderer/dist) — URL path to file inside the dist dir only
// (traversal, encoded `..`, NUL bytes and symlinks out refused), content types and cache headers.
import { realpathSync } from 'node:fs';
import { readFile, realpath, stat } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { extname, resolve, sep } from 'node:path';
import type { ApiError } from '../../api/controlApi.ts';

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
};

export function contentTypeFor(file: string): string {
  return CONTENT_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup = { ok: true; file: string } | { ok: false; status: 400 | 404; error: ApiError };

const notFound = (path: string): StaticLookup => ({ ok: false, status: 404, error: { code: 'not-found', message: `no such file in the dashboard: ${path}`, hint: 'open the dashboard at / (the URL `berth dashboard` printed)' } });
const refused = (why: string): StaticLookup => ({ ok: false, status: 400, error: { code: 'bad-path', message: `refused path: ${why}`, hint: 'open the dashboard at / (the URL `berth dashboard` printed)' } });

/** The dist directory's real path (symlinks resolved), the root every served file must lie under. */
export function distRoot(distDir: string): string {
  return realpathSync(distDir);
}

/**
 * Maps a request target (`/assets/x.js?v=1`) to a regular file under `root` (a real path). `/` is
 * index.html. Checked on the decoded path and again on the file's real path, so neither `%2e%2e`,
 * `..%2f` nor a symlink inside dist can reach a file outside it.
 */
export async function lookupStatic(root: string, target: string): Promise<StaticLookup> {
  const rawPath = target.split(/[?#]/, 1)[0] ?? '';
  if (!rawPath.startsWith('/')) return refused('not an absolute path');
  if (rawPath.includes('\0') || /%00/i.test(rawPath)) return refused('NUL byte');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return refused('bad percent-encoding');
  }
  if (decoded.includes('\0')) return refused('NUL byte');
  if (decoded.includes('\\')) return refused('backslash');
  const segments = decoded.split('/').filter((s) => s.length > 0);
  if (segments.some((s) => s === '..' || s === '.')) return refused('dot segment');
  const rel = segments.length === 0 ? 'index.html' : segments.join('/');
  const candidate = resolve(root, rel);
  if (!candidate.startsWith(root + sep)) return refused('outside the dashboard files');
  let real: string;
  try {
    real = await realpath(candidate);
  } catch {
    return notFound(decoded);
  }
  if (!real.startsWith(root + sep)) return refused('a link out of the dashboard files');
  const st = await stat(real).catch(() => undefined);
  if (!st?.isFile()) return notFound(decoded);
  return { ok: true, file: real };
}

/** Answers a GET or HEAD for a static file; `headers` are the security headers every answer carries. */
export async function serveStatic(root: string, req: IncomingMessage, res: ServerResponse, headers: Record<string, string>): Promise<void> {
  const sendError = (status: number, error: ApiError, extra: Record<string, string> = {}): void => {
    const text = JSON.stringify(error);
    res.writeHead(status, { ...headers, ...extra, 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text), 'cache-control': 'no-store' });
    res.end(text);
  };
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    return sendError(405, { code: 'method-not-allowed', message: `${req.method} is not served here`, hint: 'the dashboard files take GET' }, { allow: 'GET, HEAD' });
  }
  const found = await lookupStatic(root, req.url ?? '/');
  if (!found.ok) return sendError(found.status, found.error);
  const body = await readFile(found.file);
  const isIndex = found.file === resolve(root, 'index.html');
  res.writeHead(200, {
    ...headers,
    'content-type': contentTypeFor(found.file),
    'content-length': body.length,
    // The page is never cached (it names the current bundle); the other files are revalidated.
    'cache-control': isIndex ? 'no-store' : 'no-cache',
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}
