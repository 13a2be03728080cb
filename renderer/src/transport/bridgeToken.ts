// Owns: the browser bridge's access token — read once from the page's `#token=<hex>`, kept in
// sessionStorage (this tab only), and removed from the address bar so it is not bookmarked or shared.

export const TOKEN_STORAGE_KEY = 'berth.bridgeToken';

/** The token in a location hash like "#token=ab12…", or undefined when there is none or it is malformed. */
export function tokenFromHash(hash: string): string | undefined {
  const params = new URLSearchParams(hash.replace(/^#/, ''));
  const token = params.get('token');
  return token !== null && /^[0-9a-fA-F]{16,256}$/.test(token) ? token : undefined;
}

export interface TokenPlaces {
  location: { hash: string; pathname: string; search: string };
  history: { replaceState(data: unknown, unused: string, url?: string): void };
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void };
}

/**
 * The token for this tab: a fresh one from the hash wins (and the hash is dropped from the address
 * bar at once); otherwise the one kept from earlier in this tab (a reload). Undefined when neither.
 */
export function takeBridgeToken(places: TokenPlaces): string | undefined {
  const { location, history, storage } = places;
  if (/^#?token=/.test(location.hash) || location.hash.includes('&token=')) {
    const fresh = tokenFromHash(location.hash);
    history.replaceState(null, '', `${location.pathname}${location.search}`);
    if (fresh !== undefined) {
      storage.setItem(TOKEN_STORAGE_KEY, fresh);
      return fresh;
    }
  }
  return storage.getItem(TOKEN_STORAGE_KEY) ?? undefined;
}

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to at most 10 s. */
export function reconnectDelayMs(attempt: number): number {
  return Math.min(10_000, 500 * 2 ** Math.max(0, Math.min(attempt, 10)));
}
