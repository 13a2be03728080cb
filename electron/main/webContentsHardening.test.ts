// Tests: navigation, new windows, webviews and permissions against a fake WebContents and a fake
// Session of Electron's shapes (T-38): location=, window.open and target=_blank all end in "deny".
import { EventEmitter } from 'node:events';
import type { Session, WebContents } from 'electron';
import { describe, expect, it, vi } from 'vitest';
import { denyAllPermissions, hardenWebContents } from './webContentsHardening.ts';

function fakeContents() {
  const emitter = new EventEmitter();
  let openHandler: ((d: { url: string }) => { action: string }) | undefined;
  const contents = Object.assign(emitter, { setWindowOpenHandler: (h: typeof openHandler) => void (openHandler = h) }) as unknown as WebContents;
  const navigate = (event: string, url: string): boolean => {
    let prevented = false;
    emitter.emit(event, { url, preventDefault: () => (prevented = true) });
    return prevented;
  };
  return { contents, navigate, open: (url: string) => openHandler?.({ url }) };
}

function harden() {
  const f = fakeContents();
  const ctx = { confirmedLocalPorts: () => new Set([8080]), openExternal: vi.fn(), log: vi.fn() };
  hardenWebContents(f.contents, ctx);
  return { ...f, ctx };
}

describe('hardenWebContents (fake WebContents, T-38)', () => {
  it.each(['will-navigate', 'will-frame-navigate', 'will-redirect'])('%s: only the app pages', (event) => {
    const h = harden();
    expect(h.navigate(event, 'berth-app://ui/index.html#/settings')).toBe(false);
    for (const url of ['https://evil.example/', 'file:///etc/passwd', 'http://localhost:8080/', 'berth-app://evil/', 'javascript:alert(1)', 'data:text/html,x']) {
      expect(h.navigate(event, url), url).toBe(true);
    }
    expect(h.ctx.log).toHaveBeenCalled();
  });

  it('window.open and target=_blank never open a window; a checked link goes to the browser', () => {
    const h = harden();
    expect(h.open('https://docs.docker.com/')).toEqual({ action: 'deny' });
    expect(h.open('http://localhost:8080/')).toEqual({ action: 'deny' });
    expect(h.ctx.openExternal.mock.calls).toEqual([['https://docs.docker.com/'], ['http://localhost:8080/']]);
    for (const url of ['berth-app://ui/index.html', 'file:///etc/passwd', 'http://localhost:9999/', 'smb://x/y']) expect(h.open(url)).toEqual({ action: 'deny' });
    expect(h.ctx.openExternal).toHaveBeenCalledTimes(2);
  });

  it('webviews are never attached', () => {
    const h = harden();
    expect(h.navigate('will-attach-webview', 'about:blank')).toBe(true);
  });
});

describe('denyAllPermissions (fake Session)', () => {
  it('every request is denied and every check fails', () => {
    let request: ((c: unknown, p: string, cb: (ok: boolean) => void) => void) | undefined;
    let check: ((c: unknown, p: string) => boolean) | undefined;
    const session = {
      setPermissionRequestHandler: (h: typeof request) => void (request = h),
      setPermissionCheckHandler: (h: typeof check) => void (check = h),
    } as unknown as Session;
    denyAllPermissions(session);
    for (const p of ['media', 'notifications', 'clipboard-read', 'geolocation', 'openExternal']) {
      const cb = vi.fn();
      request?.({}, p, cb);
      expect(cb).toHaveBeenCalledWith(false);
      expect(check?.({}, p)).toBe(false);
    }
  });
});
