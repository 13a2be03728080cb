// Owns: which Transport this page uses — the Electron preload's bridge when the desktop app exposes
// one as `window.berthTransport`, else the browser bridge of `berth dashboard` with the page's token.
import type { Transport } from '../../../helpers/api/transport.ts';
import { createBrowserTransport } from './browserTransport.ts';
import { takeBridgeToken } from './bridgeToken.ts';

declare global {
  interface Window {
    /** Set by Electron's preload (contextBridge.exposeInMainWorld('berthTransport', …)). */
    readonly berthTransport?: Transport;
  }
}

export type TransportChoice = { ok: true; transport: Transport } | { ok: false; message: string; hint: string };

export function pickTransport(): TransportChoice {
  if (window.berthTransport !== undefined) return { ok: true, transport: window.berthTransport };
  const token = takeBridgeToken({ location: window.location, history: window.history, storage: window.sessionStorage });
  if (token === undefined) {
    return {
      ok: false,
      message: 'This page has no access token for Berth.',
      hint: 'Open the link `berth dashboard` printed in its terminal (it ends in #token=…), or run `berth dashboard` again.',
    };
  }
  return { ok: true, transport: createBrowserTransport(token) };
}
