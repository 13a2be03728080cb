// Owns: the BrowserWindow options with Electron's security checklist applied, and the app's CSP (T-36).
// Pure: the preload path is given in; nothing here touches Electron at run time.
import { isAbsolute } from 'node:path';
import type { BrowserWindowConstructorOptions } from 'electron';
import { contentSecurityPolicy as buildContentSecurityPolicy } from '../../helpers/api/contentSecurityPolicy.ts';
import { APP_ORIGIN } from './appProtocol.ts';

export interface WindowOptionsInput {
  /** Absolute path of the built preload script (sandboxed preloads must be a single bundled file). */
  preloadPath: string;
  title?: string;
  width?: number;
  height?: number;
  /** DevTools are for development builds only. */
  devTools?: boolean;
}

export function windowOptions(input: WindowOptionsInput): BrowserWindowConstructorOptions {
  if (!isAbsolute(input.preloadPath)) throw new Error(`preload path must be absolute: ${input.preloadPath}`);
  return {
    title: input.title ?? 'Berth',
    width: input.width ?? 1100,
    height: input.height ?? 720,
    minWidth: 720,
    minHeight: 480,
    // Shown on ready-to-show, so a blank window never flashes.
    show: false,
    webPreferences: {
      preload: input.preloadPath,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      devTools: input.devTools ?? false,
    },
  };
}

/**
 * The Content-Security-Policy the app protocol handler sends with every page: the app's policy
 * (helpers/api/contentSecurityPolicy.ts), with network only to the app's own origin.
 */
export function contentSecurityPolicy(origin: string = APP_ORIGIN): string {
  return buildContentSecurityPolicy([origin]);
}
