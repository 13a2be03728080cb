// Owns: the one Berth window — opened on a screen (berth-app://ui/index.html#/settings), brought
// forward on a second launch (T-15), hidden to the tray on close unless the app is quitting.
import type { BrowserWindow } from 'electron';
import { APP_ENTRY_URL } from './appProtocol.ts';
import { closeAction } from './quitPlan.ts';
import { bringForward, type WindowPresence } from './singleInstance.ts';

/** The screens the tray opens; the renderer reads them from the address (renderer/src/model/screens.ts). */
export type TrayScreen = 'dashboard' | 'settings' | 'troubleshoot';

export function screenUrl(screen: TrayScreen): string {
  return `${APP_ENTRY_URL}#/${screen}`;
}

/** The parts of a BrowserWindow read to decide how to bring it forward. */
export interface PresenceOf {
  isDestroyed(): boolean;
  isMinimized(): boolean;
  isVisible(): boolean;
}
export function presenceOf(win: PresenceOf | undefined): WindowPresence {
  if (win === undefined || win.isDestroyed()) return 'none';
  if (win.isMinimized()) return 'minimized';
  return win.isVisible() ? 'visible' : 'hidden';
}

export class MainWindow {
  private win: BrowserWindow | undefined;

  /** `create` makes the BrowserWindow with windowOptions(); `quitting` tells whether a close is the app's Quit. */
  constructor(
    private readonly create: () => BrowserWindow,
    private readonly quitting: () => boolean,
  ) {}

  /** Shows the window on `screen`, creating it (hidden until ready-to-show) when there is none. */
  show(screen: TrayScreen): void {
    const url = screenUrl(screen);
    if (presenceOf(this.win) === 'none') {
      const win = this.create();
      this.win = win;
      win.once('ready-to-show', () => win.show());
      win.on('close', (event) => {
        if (closeAction(this.quitting()) === 'hide') {
          event.preventDefault();
          win.hide();
        }
      });
      win.on('closed', () => {
        if (this.win === win) this.win = undefined;
      });
      void win.loadURL(url);
      return;
    }
    const win = this.win as BrowserWindow;
    // Same document, another screen: changing only the hash does not reload the renderer.
    void win.loadURL(url);
    this.forward();
  }

  /** A second launch of the app: open the dashboard, or restore / show and focus the window. */
  forward(): void {
    for (const step of bringForward(presenceOf(this.win))) {
      if (step === 'open-dashboard') this.show('dashboard');
      else if (step === 'restore') this.win?.restore();
      else if (step === 'show') this.win?.show();
      else this.win?.focus();
    }
  }
}
