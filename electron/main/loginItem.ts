// Owns: "start at login" from settings.startAtLogin — app.setLoginItemSettings on macOS and Windows,
// an XDG autostart entry on Linux (Electron has no login items there); started that way, no window.
import { join } from 'node:path';
import type { Settings as LoginItemSettings } from 'electron';

/** Passed to the app when the OS starts it at login (Windows, Linux): open to the tray only. */
export const HIDDEN_ARG = '--hidden';
export const AUTOSTART_FILE = 'berth.desktop';

export type LoginItemPlan =
  | { kind: 'login-item'; settings: LoginItemSettings }
  | { kind: 'autostart-file'; path: string; contents: string }
  | { kind: 'remove-autostart-file'; path: string }
  | { kind: 'skip'; why: string };

export interface LoginItemInput {
  startAtLogin: boolean;
  platform: NodeJS.Platform;
  /** A development run (`electron dist/electron/main.cjs`) must not register the bare Electron binary. */
  packaged: boolean;
  execPath: string;
  /** $APPIMAGE: an AppImage's execPath is inside a mount that is gone after it quits. */
  appImage?: string;
  /** $XDG_CONFIG_HOME, else ~/.config. */
  configHome: string;
}

export function loginItemPlan(input: LoginItemInput): LoginItemPlan {
  if (!input.packaged) return { kind: 'skip', why: 'start at login is set up by the installed app only, not a development run' };
  switch (input.platform) {
    case 'darwin':
      return { kind: 'login-item', settings: { openAtLogin: input.startAtLogin } };
    case 'win32':
      return { kind: 'login-item', settings: { openAtLogin: input.startAtLogin, path: input.execPath, args: [HIDDEN_ARG] } };
    case 'linux': {
      const path = join(input.configHome, 'autostart', AUTOSTART_FILE);
      if (!input.startAtLogin) return { kind: 'remove-autostart-file', path };
      return { kind: 'autostart-file', path, contents: autostartEntry(input.appImage ?? input.execPath) };
    }
    default:
      return { kind: 'skip', why: `start at login is not supported on ${input.platform}` };
  }
}

/** One argument of a desktop entry's Exec key, quoted as the Desktop Entry spec asks. */
export function desktopExecArg(arg: string): string {
  const quoted = /[\s"'\\`$<>|;&*?#()~]/.test(arg) || arg === '' ? `"${arg.replace(/(["`$\\])/g, '\\$1')}"` : arg;
  return quoted.replace(/%/g, '%%');
}

export function autostartEntry(executable: string): string {
  return [
    '[Desktop Entry]',
    'Type=Application',
    'Name=Berth',
    'Comment=Run Linux containers from your desktop',
    `Exec=${desktopExecArg(executable)} ${HIDDEN_ARG}`,
    'Terminal=false',
    'X-GNOME-Autostart-enabled=true',
    '',
  ].join('\n');
}

/** Whether this launch should open no window: started at login (or asked to start hidden). */
export function startedHidden(argv: readonly string[], wasOpenedAtLogin: boolean): boolean {
  return wasOpenedAtLogin || argv.includes(HIDDEN_ARG);
}

/** What applying a plan needs: app.setLoginItemSettings and the file system, injected. */
export interface LoginItemEffects {
  setLoginItemSettings(settings: LoginItemSettings): void;
  writeFile(path: string, contents: string): void;
  removeFile(path: string): void;
  log(message: string): void;
}

export function applyLoginItemPlan(plan: LoginItemPlan, fx: LoginItemEffects): void {
  try {
    if (plan.kind === 'login-item') fx.setLoginItemSettings(plan.settings);
    else if (plan.kind === 'autostart-file') fx.writeFile(plan.path, plan.contents);
    else if (plan.kind === 'remove-autostart-file') fx.removeFile(plan.path);
    else fx.log(`start at login: ${plan.why}`);
  } catch (e) {
    fx.log(`start at login could not be changed: ${(e as Error).message}; check that ${plan.kind === 'login-item' ? 'the app is in Applications (macOS) or installed (Windows)' : '~/.config/autostart is writable'}`);
  }
}
