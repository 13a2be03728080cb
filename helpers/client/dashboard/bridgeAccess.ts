// Owns: who may use the dashboard bridge — the random token (constant-time compare) and the Host and
// Origin checks that stop DNS rebinding and other sites' pages (T-36). Pure: no sockets here.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import type { ApiError } from '../../api/controlApi.ts';

/** The header every /api request carries the token in (a WebSocket carries it as a subprotocol). */
export const TOKEN_HEADER = 'x-berth-token';
/** The WebSocket subprotocol prefix that carries the token: `berth-token.<hex>`. */
export const TOKEN_PROTOCOL_PREFIX = 'berth-token.';

/** 32 random bytes as hex: the secret in the URL `berth dashboard` prints. */
export function newToken(): string {
  return randomBytes(32).toString('hex');
}

/**
 * Compares in time that does not depend on where the strings differ or on their lengths: both sides
 * are hashed first, so timingSafeEqual always sees 32 bytes.
 */
export function tokensMatch(expected: string, given: string | undefined): boolean {
  if (given === undefined || given.length === 0) return false;
  const a = createHash('sha256').update(expected, 'utf8').digest();
  const b = createHash('sha256').update(given, 'utf8').digest();
  return timingSafeEqual(a, b);
}

export type AccessCheck = { ok: true } | { ok: false; error: ApiError };

const OPEN_HINT = 'open the dashboard with the URL `berth dashboard` printed (run it again for a new one)';

function deny(code: string, message: string, hint = OPEN_HINT): AccessCheck {
  return { ok: false, error: { code, message, hint } };
}

const one = (v: string | string[] | undefined): string | undefined => (Array.isArray(v) ? undefined : v);

/**
 * Host and Origin, for every request (static files too): Host must name this bridge as 127.0.0.1 or
 * localhost with its port (a rebinding name such as evil.example:PORT is refused); an Origin, when
 * the browser sends one, must be this bridge's own.
 */
export function checkHostAndOrigin(headers: IncomingHttpHeaders, port: number): AccessCheck {
  const host = one(headers.host)?.toLowerCase();
  if (host !== `127.0.0.1:${port}` && host !== `localhost:${port}`) {
    return deny('bad-host', `the request names host "${host ?? ''}", not this dashboard (127.0.0.1:${port})`, `open http://127.0.0.1:${port}/ directly; pages of other sites cannot use the dashboard`);
  }
  const origin = headers.origin;
  if (origin !== undefined) {
    const o = one(origin)?.toLowerCase();
    if (o !== `http://127.0.0.1:${port}` && o !== `http://localhost:${port}`) {
      return deny('bad-origin', `a page from ${o ?? 'several origins'} tried to use the dashboard`, 'only the dashboard page itself may call it; close the other page');
    }
  }
  return { ok: true };
}

/** An /api HTTP request: Host and Origin, then the token header. */
export function checkApiRequest(headers: IncomingHttpHeaders, port: number, token: string): AccessCheck {
  const hostOrigin = checkHostAndOrigin(headers, port);
  if (!hostOrigin.ok) return hostOrigin;
  if (!tokensMatch(token, one(headers[TOKEN_HEADER]))) return deny('bad-token', 'the request has no dashboard token or a wrong one');
  return { ok: true };
}

/** The offered WebSocket subprotocols, in order (`Sec-WebSocket-Protocol: a, b`). */
export function offeredProtocols(headers: IncomingHttpHeaders): string[] {
  const raw = one(headers['sec-websocket-protocol']) ?? '';
  return raw
    .split(',')
    .map((p) => p.trim())
    .filter((p) => p.length > 0);
}

/** A terminal WebSocket: Host and Origin, then exactly one `berth-token.<token>` subprotocol that matches. */
export function checkTerminalUpgrade(headers: IncomingHttpHeaders, port: number, token: string): AccessCheck {
  const hostOrigin = checkHostAndOrigin(headers, port);
  if (!hostOrigin.ok) return hostOrigin;
  const tokens = offeredProtocols(headers).filter((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX));
  if (tokens.length !== 1 || !tokensMatch(token, tokens[0]?.slice(TOKEN_PROTOCOL_PREFIX.length))) {
    return deny('bad-token', 'the terminal connection has no dashboard token or a wrong one');
  }
  return { ok: true };
}
