// Tests: each security flag of the window options and the app CSP's connect-src (T-36).
// Also the app protocol constants, so a renamed scheme cannot slip past the policies silently.
import { describe, expect, it } from 'vitest';
import { APP_ENTRY_URL, APP_ORIGIN, APP_SCHEME, appSchemePrivileges } from './appProtocol.ts';
import { contentSecurityPolicy, windowOptions } from './windowOptions.ts';

const preloadPath = '/opt/Berth/resources/app/preload.cjs';

describe('windowOptions', () => {
  const prefs = windowOptions({ preloadPath }).webPreferences ?? {};

  it.each([
    ['contextIsolation', true],
    ['sandbox', true],
    ['nodeIntegration', false],
    ['nodeIntegrationInWorker', false],
    ['nodeIntegrationInSubFrames', false],
    ['webSecurity', true],
    ['allowRunningInsecureContent', false],
    ['webviewTag', false],
    ['experimentalFeatures', false],
    ['navigateOnDragDrop', false],
    ['devTools', false],
  ] as const)('%s is %s', (flag, value) => {
    expect(prefs[flag]).toBe(value);
  });

  it('uses the preload path given in, and refuses a relative one', () => {
    expect(prefs.preload).toBe(preloadPath);
    expect(() => windowOptions({ preloadPath: 'preload.cjs' })).toThrow(/absolute/);
  });

  it('does not enable Blink features or extra preloads', () => {
    expect(prefs.enableBlinkFeatures).toBeUndefined();
    expect(prefs.additionalArguments).toBeUndefined();
  });

  it('starts hidden; DevTools only when asked', () => {
    expect(windowOptions({ preloadPath }).show).toBe(false);
    expect(windowOptions({ preloadPath, devTools: true }).webPreferences?.devTools).toBe(true);
  });
});

// The directives themselves are tested once, beside the shared builder (helpers/api/contentSecurityPolicy.test.ts).
describe('contentSecurityPolicy', () => {
  const csp = contentSecurityPolicy();
  const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));

  it('connects only to the app protocol', () => {
    expect(directives.get('connect-src')).toEqual([APP_ORIGIN]);
  });

  it('allows no http(s) or ws origins', () => {
    expect(csp).not.toMatch(/https?:|wss?:/);
  });
});

describe('app protocol', () => {
  it('is a custom standard, secure scheme that does not bypass CSP', () => {
    expect(APP_SCHEME).toMatch(/^[a-z][a-z0-9+.-]*$/);
    expect(APP_ORIGIN).toBe('berth-app://ui');
    expect(APP_ENTRY_URL.startsWith(`${APP_ORIGIN}/`)).toBe(true);
    expect(appSchemePrivileges.privileges).toMatchObject({ standard: true, secure: true, bypassCSP: false });
  });
});
