// Owns: where the app's parts are on disk — in a packaged app (resources beside app.asar) and in a
// development run from the repository (dist/electron/main.cjs started by a local Electron).
import { join, resolve } from 'node:path';

export interface AppLocations {
  /** The built renderer the app protocol serves. */
  rendererDir: string;
  /** Tray icons (build/icons in the repository). */
  iconsDir: string;
  /** The bundled preload, beside main.cjs (inside app.asar when packaged: Electron reads it there). */
  preloadPath: string;
  /** The bundled berthd; outside the asar, since it runs as its own process. */
  berthdScript: string;
}

export interface LocationInput {
  packaged: boolean;
  /** process.resourcesPath */
  resourcesPath: string;
  /** The directory of the running main bundle (__dirname of dist/electron/main.cjs). */
  mainDir: string;
}

export function appLocations(input: LocationInput): AppLocations {
  const preloadPath = join(input.mainDir, 'preload.cjs');
  if (input.packaged) {
    return {
      rendererDir: join(input.resourcesPath, 'renderer'),
      iconsDir: join(input.resourcesPath, 'icons'),
      preloadPath,
      berthdScript: join(input.resourcesPath, 'berthd', 'berthd.mjs'),
    };
  }
  const repo = resolve(input.mainDir, '..', '..');
  return {
    rendererDir: join(repo, 'renderer', 'dist'),
    iconsDir: join(repo, 'build', 'icons'),
    preloadPath,
    berthdScript: join(repo, 'dist', 'berthd.mjs'),
  };
}
