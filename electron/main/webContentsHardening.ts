// Owns: what every web contents may do (T-38): navigate only between the app's own pages, never open
// a window (a checked link goes to the browser instead), never attach a webview; no permission granted.
import type { Session, WebContents } from 'electron';
import { mayNavigate, windowOpenDecision } from './urlPolicy.ts';

export interface HardeningContext {
  /** Published container ports on localhost the user may open (from berthd's `ports` event). */
  confirmedLocalPorts(): ReadonlySet<number>;
  /** shell.openExternal of a URL urlPolicy already checked. */
  openExternal(url: string): void;
  log(message: string): void;
}

/** For app.on('web-contents-created'): applied to every web contents, the main window's included. */
export function hardenWebContents(contents: WebContents, ctx: HardeningContext): void {
  const refuse = (what: string, url: string, prevent: () => void): void => {
    prevent();
    ctx.log(`refused ${what} to ${url.slice(0, 200)}`);
  };
  contents.on('will-navigate', (event) => {
    if (!mayNavigate(event.url)) refuse('navigation', event.url, () => event.preventDefault());
  });
  contents.on('will-frame-navigate', (event) => {
    if (!mayNavigate(event.url)) refuse('frame navigation', event.url, () => event.preventDefault());
  });
  contents.on('will-redirect', (event) => {
    if (!mayNavigate(event.url)) refuse('redirect', event.url, () => event.preventDefault());
  });
  contents.on('will-attach-webview', (event) => refuse('a webview', '(webview)', () => event.preventDefault()));
  contents.setWindowOpenHandler(({ url }) => {
    const decision = windowOpenDecision(url, { confirmedLocalPorts: ctx.confirmedLocalPorts() });
    if (decision.openExternal !== undefined) ctx.openExternal(decision.openExternal);
    else ctx.log(`refused a new window for ${url.slice(0, 200)}`);
    return { action: 'deny' };
  });
}

/** No camera, microphone, notifications, clipboard reads, geolocation … asked or checked: all denied. */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
