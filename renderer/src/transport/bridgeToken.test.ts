import { describe, expect, it } from 'vitest';
import { reconnectDelayMs, takeBridgeToken, TOKEN_STORAGE_KEY, tokenFromHash } from './bridgeToken.ts';

const TOKEN = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';

function places(hash: string, stored?: string) {
  const store = new Map<string, string>(stored ? [[TOKEN_STORAGE_KEY, stored]] : []);
  const urls: string[] = [];
  return {
    urls,
    store,
    places: {
      location: { hash, pathname: '/', search: '' },
      history: { replaceState: (_d: unknown, _u: string, url?: string) => void urls.push(url ?? '') },
      storage: { getItem: (k: string) => store.get(k) ?? null, setItem: (k: string, v: string) => void store.set(k, v) },
    },
  };
}

describe('tokenFromHash', () => {
  it('reads a hex token', () => {
    expect(tokenFromHash(`#token=${TOKEN}`)).toBe(TOKEN);
    expect(tokenFromHash(`#x=1&token=${TOKEN}`)).toBe(TOKEN);
  });
  it('refuses a missing, short or non-hex token', () => {
    expect(tokenFromHash('')).toBeUndefined();
    expect(tokenFromHash('#/containers')).toBeUndefined();
    expect(tokenFromHash('#token=abc')).toBeUndefined();
    expect(tokenFromHash(`#token=${TOKEN.slice(0, 20)}zz`)).toBeUndefined();
  });
});

describe('takeBridgeToken', () => {
  it('keeps a token from the hash in sessionStorage and drops the hash from the address bar', () => {
    const p = places(`#token=${TOKEN}`);
    expect(takeBridgeToken(p.places)).toBe(TOKEN);
    expect(p.store.get(TOKEN_STORAGE_KEY)).toBe(TOKEN);
    expect(p.urls).toEqual(['/']);
  });
  it('after a reload (no hash) uses the kept token and leaves the address alone', () => {
    const p = places('#/images', TOKEN);
    expect(takeBridgeToken(p.places)).toBe(TOKEN);
    expect(p.urls).toEqual([]);
  });
  it('a fresh token replaces a kept one', () => {
    const fresh = 'f'.repeat(32);
    const p = places(`#token=${fresh}`, TOKEN);
    expect(takeBridgeToken(p.places)).toBe(fresh);
  });
  it('drops a malformed token from the address bar too, and has none', () => {
    const p = places('#token=nothex!');
    expect(takeBridgeToken(p.places)).toBeUndefined();
    expect(p.urls).toEqual(['/']);
  });
});

describe('reconnectDelayMs', () => {
  it('doubles from half a second to at most 10 s', () => {
    expect([0, 1, 2, 3, 4, 5, 6, 50].map(reconnectDelayMs)).toEqual([500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]);
  });
});
