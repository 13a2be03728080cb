// Tests: openExternal and navigation policies against hostile URLs (T-37, T-38): the THREATS.md
// schemes, UNC paths, mixed case, whitespace, credentials, IDN and localhost ports.
import { describe, expect, it } from 'vitest';
import type { WindowOpenHandlerResponse } from 'electron';
import { checkExternalUrl, isAppUrl, mayNavigate, mayOpenExternal, windowOpenDecision } from './urlPolicy.ts';

const published = { confirmedLocalPorts: new Set([8080, 3000]) };

describe('mayOpenExternal', () => {
  it.each(['https://docs.docker.com/engine/', 'https://github.com/berth/berth/issues?q=a+b#x', 'HTTPS://Example.COM/'])(
    'opens %s',
    (url) => {
      expect(mayOpenExternal(url)).toBe(true);
    },
  );

  it.each([
    // THREATS.md T-37: a container name, label, log line or OSC 8 link carrying these.
    'file:///etc/passwd',
    'file://server/share/evil.exe',
    'FILE:///C:/Windows/System32/calc.exe',
    'smb://attacker.example/share',
    '\\\\attacker.example\\share\\evil.exe',
    '//attacker.example/share',
    'search-ms:query=evil&crumb=location:\\\\attacker.example\\share',
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    'jav\tascript:alert(1)',
    'data:text/html,<script>alert(1)</script>',
    'vbscript:msgbox(1)',
    'ms-msdt:/id PCWDiagnostic',
    'ms-settings:',
    'vscode://file/etc/passwd',
    'berth-app://ui/index.html',
    'ftp://example.com/',
    'ws://example.com/',
    'about:blank',
    'mailto:a@example.com',
  ])('refuses %s', (url) => {
    expect(mayOpenExternal(url, published)).toBe(false);
  });

  it.each([' https://example.com', 'https://example.com ', 'https://exa\nmple.com', 'https://example.com/\u0000', 'https:\\\\example.com\\'])(
    'refuses whitespace, control characters and backslashes: %j',
    (url) => {
      expect(mayOpenExternal(url)).toBe(false);
    },
  );

  it.each(['https://user:pass@example.com/', 'https://docs.docker.com@evil.example/', 'http://user@localhost:8080/'])(
    'refuses credentials: %s',
    (url) => {
      expect(mayOpenExternal(url, published)).toBe(false);
    },
  );

  it('refuses plain http to other hosts', () => {
    expect(checkExternalUrl('http://example.com/')).toEqual({ ok: false, reason: expect.stringMatching(/plain http/) });
  });

  it('opens localhost only on a confirmed published port', () => {
    expect(mayOpenExternal('http://localhost:8080/', published)).toBe(true);
    expect(mayOpenExternal('http://127.0.0.1:3000/app', published)).toBe(true);
    expect(mayOpenExternal('http://[::1]:8080/', published)).toBe(true);
    expect(mayOpenExternal('http://localhost:9000/', published)).toBe(false);
    expect(mayOpenExternal('http://localhost:8080/')).toBe(false);
    expect(mayOpenExternal('http://localhost/', published)).toBe(false);
  });

  it.each(['https://localhost:9000/', 'http://LOCALHOST.:9000/', 'http://127.1.2.3:9000/', 'http://0.0.0.0:9000/', 'http://app.localhost:9000/', 'http://2130706433:9000/', 'http://0x7f.1:9000/', 'http://[::ffff:127.0.0.1]:9000/'])(
    'treats %s as this machine (needs a confirmed port)',
    (url) => {
      expect(mayOpenExternal(url, published)).toBe(false);
    },
  );

  it('opens IDN hosts in punycode, so the browser shows what they are', () => {
    const d = checkExternalUrl('https://exаmple.com/'); // Cyrillic а
    expect(d).toEqual({ ok: true, url: 'https://xn--exmple-4nf.com/' });
  });

  it('hands back the normalized URL it checked', () => {
    expect(checkExternalUrl('HTTPS://Example.com:443/a/../b')).toEqual({ ok: true, url: 'https://example.com/b' });
  });

  it.each([undefined, null, 42, {}, '', 'x'.repeat(3000), 'not a url', 'https://'])('refuses %j', (value) => {
    expect(mayOpenExternal(value)).toBe(false);
  });
});

describe('mayNavigate', () => {
  it.each(['berth-app://ui/index.html', 'berth-app://ui/#/settings', 'BERTH-APP://UI/containers'])('allows %s', (url) => {
    expect(mayNavigate(url)).toBe(true);
  });

  it.each([
    'https://example.com/',
    'http://localhost:5173/',
    'file:///opt/Berth/resources/app/index.html',
    'berth-app://evil/index.html',
    'berth-app://ui:8080/',
    'berth-app://user@ui/',
    'berth-app://ui.evil.example/',
    'berth-appx://ui/',
    'javascript:location="https://evil.example"',
    'data:text/html,hi',
    'about:blank',
    ' berth-app://ui/',
  ])('refuses %s', (url) => {
    expect(mayNavigate(url)).toBe(false);
  });

  it('isAppUrl is the same check', () => {
    expect(isAppUrl('berth-app://ui/')).toBe(true);
    expect(isAppUrl('https://ui/')).toBe(false);
  });
});

describe('windowOpenDecision', () => {
  it('never opens an Electron window; a safe link goes to the browser', () => {
    const d = windowOpenDecision('https://docs.docker.com/', published);
    const response: WindowOpenHandlerResponse = { action: d.action };
    expect(response).toEqual({ action: 'deny' });
    expect(d.openExternal).toBe('https://docs.docker.com/');
  });

  it.each(['berth-app://ui/index.html', 'file:///etc/passwd', 'javascript:alert(1)', 'http://localhost:9999/'])('denies %s without opening anything', (url) => {
    expect(windowOpenDecision(url, published)).toEqual({ action: 'deny' });
  });
});
