// Owns: the custom protocol the app's pages are served from (never file://), as constants.
// windowOptions, urlPolicy and ipcGuard all compare against these.
import type { CustomScheme } from 'electron';

/** The scheme, without the colon. */
export const APP_SCHEME = 'berth-app';
/** The one host under the scheme; pages live at berth-app://ui/… */
export const APP_HOST = 'ui';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The page the main window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/**
 * For protocol.registerSchemesAsPrivileged before app `ready`: a standard, secure scheme gets a real
 * origin ('self' in the CSP matches it) and fetch; it may not bypass CSP and has no service workers.
 */
export const appSchemePrivileges: CustomScheme = {
  scheme: APP_SCHEME,
  privileges: {
    standard: true,
    secure: true,
    supportFetchAPI: true,
    bypassCSP: false,
    allowServiceWorkers: false,
    corsEnabled: false,
    stream: false,
  },
};
