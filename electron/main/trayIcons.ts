// Owns: which file in build/icons (or <resources>/icons) shows each tray state: colour PNGs on
// Windows and Linux, black-and-alpha template images on macOS (the menu bar tints them).
import { join } from 'node:path';
import { trayIcons, type TrayIcon } from './trayModel.ts';

/** The base file name: Electron picks the @2x file beside it on high-density screens by itself. */
export function trayIconFile(icon: TrayIcon, platform: NodeJS.Platform): string {
  // macOS reads "Template" at the end of the name (before @2x) as "this is a template image".
  return platform === 'darwin' ? `tray-${icon}Template.png` : `tray-${icon}.png`;
}

export function trayIconPath(iconsDir: string, icon: TrayIcon, platform: NodeJS.Platform): string {
  return join(iconsDir, trayIconFile(icon, platform));
}

/** Every file the icons directory must hold, with its pixel size (scripts/make-icons.mjs writes them). */
export function trayIconFiles(): { file: string; size: number; template: boolean }[] {
  return trayIcons.flatMap((icon) =>
    (['', 'Template'] as const).flatMap((variant) => [
      { file: `tray-${icon}${variant}.png`, size: 16, template: variant === 'Template' },
      { file: `tray-${icon}${variant}@2x.png`, size: 32, template: variant === 'Template' },
    ]),
  );
}
