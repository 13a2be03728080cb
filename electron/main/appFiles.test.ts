// Tests: the berth-app:// handler (T-36): the request → renderer file mapping refuses other hosts,
// methods, traversal in every spelling and links out; every answer carries the CSP. Real files in a temp dir.
import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appFileTarget, serveAppFile } from './appFiles.ts';
import { contentSecurityPolicy } from './windowOptions.ts';

describe('appFileTarget', () => {
  it.each([
    ['berth-app://ui/', '/'],
    ['berth-app://ui/index.html', '/index.html'],
    ['berth-app://ui/assets/index-abc.js?v=1', '/assets/index-abc.js'],
    ['BERTH-APP://UI/assets/a%20b.css', '/assets/a%20b.css'],
    ['berth-app://ui/index.html#/settings', '/index.html'],
  ])('%s → %s', (url, target) => {
    expect(appFileTarget('GET', url)).toEqual({ ok: true, target, head: false });
  });

  it('HEAD is served without a body; other methods are refused', () => {
    expect(appFileTarget('HEAD', 'berth-app://ui/')).toMatchObject({ ok: true, head: true });
    for (const m of ['POST', 'PUT', 'DELETE', 'OPTIONS']) expect(appFileTarget(m, 'berth-app://ui/')).toMatchObject({ ok: false, status: 405 });
  });

  it.each(['berth-app://evil/index.html', 'berth-app://ui:8080/', 'berth-app://user@ui/', 'https://ui/index.html', 'file:///etc/passwd', 'not a url'])('refuses %s', (url) => {
    expect(appFileTarget('GET', url).ok).toBe(false);
  });

  it.each([
    ['berth-app://ui/%2e%2e/package.json', '/package.json'],
    ['berth-app://ui/assets/%2E%2E/%2e%2e/secret.txt', '/secret.txt'],
    ['berth-app://ui/../../etc/passwd', '/etc/passwd'],
  ])('the URL parser resolves dot segments inside the root: %s → %s', (url, target) => {
    expect(appFileTarget('GET', url)).toEqual({ ok: true, target, head: false });
  });

  it.each([
    'berth-app://ui/..%2fsecret.txt',
    'berth-app://ui/..%5csecret.txt',
    'berth-app://ui/index.html%00.js',
    'berth-app://ui/%',
    'berth-app://ui/C:/Windows/win.ini',
    'berth-app://ui/index.html:stream',
  ])('refuses traversal spelled %s', (url) => {
    expect(appFileTarget('GET', url)).toMatchObject({ ok: false });
  });
});

describe('serveAppFile', () => {
  let dir: string;
  let root: string;

  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'berth-appfiles-'));
    mkdirSync(join(dir, 'dist', 'assets'), { recursive: true });
    writeFileSync(join(dir, 'dist', 'index.html'), '<!doctype html><title>Berth</title>');
    writeFileSync(join(dir, 'dist', 'assets', 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'TOP-SECRET-CONTENT');
    symlinkSync(join(dir, 'secret.txt'), join(dir, 'dist', 'assets', 'link.txt'));
    root = realpathSync(join(dir, 'dist'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const get = (url: string, method = 'GET'): Promise<Response> => serveAppFile(root, { method, url });

  it('serves index.html at / with the CSP and nosniff', async () => {
    const r = await get('berth-app://ui/');
    expect(r.status).toBe(200);
    expect(await r.text()).toContain('<title>Berth</title>');
    expect(r.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(r.headers.get('content-security-policy')).toBe(contentSecurityPolicy());
    expect(r.headers.get('x-content-type-options')).toBe('nosniff');
  });

  it('serves assets with their content type; HEAD has no body', async () => {
    const js = await get('berth-app://ui/assets/app.js');
    expect(js.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    expect(await js.text()).toBe('console.log(1)');
    const head = await get('berth-app://ui/assets/app.js', 'HEAD');
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
  });

  it('never reads outside the renderer files, and refusals carry the CSP too', async () => {
    for (const url of ['berth-app://ui/%2e%2e/secret.txt', 'berth-app://ui/assets/link.txt', 'berth-app://ui/..%2fsecret.txt', 'berth-app://ui/missing.js', 'berth-app://other/index.html']) {
      const r = await get(url);
      expect(r.status, url).toBeGreaterThanOrEqual(400);
      expect(await r.text(), url).not.toContain('TOP-SECRET');
      expect(r.headers.get('content-security-policy'), url).toBe(contentSecurityPolicy());
    }
    expect((await get('berth-app://ui/', 'POST')).status).toBe(405);
  });
});
