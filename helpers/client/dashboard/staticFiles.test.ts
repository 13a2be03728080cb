// Owns: tests of the renderer files the bridge serves — traversal in every spelling and symlinks out
// refused, content types, and the CSP and other security headers on the page.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startDashboard, type Dashboard } from './dashboardServer.ts';
import { dashboardCsp } from './securityHeaders.ts';
import { distRoot, lookupStatic } from './staticFiles.ts';
import { makeTempDist, rawRequest } from './fakeBerthd.fixture.ts';

let temp: ReturnType<typeof makeTempDist>;
let dash: Dashboard;

beforeAll(async () => {
  temp = makeTempDist();
  // No berthd at all: static files do not need it.
  dash = await startDashboard({ distDir: temp.dist, controlSocket: `${temp.dir}/none.sock` });
});
afterAll(async () => {
  await dash.close();
  temp.cleanup();
});

describe('dashboard bridge: static files', () => {
  it('dashboard bridge: / is index.html with the CSP, no-store and the security headers', async () => {
    const r = await rawRequest(dash.port, { path: '/' });
    expect(r.status).toBe(200);
    expect(r.body).toContain('dashboard</body>');
    expect(r.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(r.headers['cache-control']).toBe('no-store');
    const csp = r.headers['content-security-policy'];
    expect(csp).toBe(dashboardCsp(dash.port));
    expect(csp).toContain("script-src 'self';");
    expect(csp).toContain(`connect-src 'self' ws://127.0.0.1:${dash.port} ws://localhost:${dash.port};`);
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toMatch(/script-src[^;]*unsafe/);
    expect(r.headers['x-content-type-options']).toBe('nosniff');
    expect(r.headers['referrer-policy']).toBe('no-referrer');
    expect(r.headers['x-frame-options']).toBe('DENY');
    expect(r.headers['cross-origin-opener-policy']).toBe('same-origin');
    expect((await rawRequest(dash.port, { path: '/index.html' })).headers['cache-control']).toBe('no-store');
  });

  it('dashboard bridge: assets are served with their content types; HEAD has no body; other methods 405', async () => {
    const js = await rawRequest(dash.port, { path: '/assets/app.js?v=1' });
    expect(js.status).toBe(200);
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toBe('console.log("app");');
    expect((await rawRequest(dash.port, { path: '/assets/app.css' })).headers['content-type']).toBe('text/css; charset=utf-8');
    const head = await rawRequest(dash.port, { method: 'HEAD', path: '/assets/app.js' });
    expect(head.status).toBe(200);
    expect(head.body).toBe('');
    expect((await rawRequest(dash.port, { method: 'POST', path: '/index.html', body: 'x' })).status).toBe(405);
    expect((await rawRequest(dash.port, { path: '/missing.js' })).status).toBe(404);
    expect((await rawRequest(dash.port, { path: '/assets' })).status).toBe(404);
  });

  it('dashboard bridge: traversal out of dist is refused in every spelling (raw, encoded, symlink, NUL)', async () => {
    const attempts = ['/../package.json', '/%2e%2e/package.json', '/%2E%2E/secret.txt', '/..%2fpackage.json', '/assets/..%2f..%2fpackage.json', '/assets/%2e%2e/%2e%2e/package.json', '/..%5cpackage.json', '/assets/link.txt', '/index.html%00.js', '/%2fetc%2fpasswd', '/%', '//..//package.json'];
    for (const path of attempts) {
      const r = await rawRequest(dash.port, { path });
      expect([400, 404], path).toContain(r.status);
      expect(r.body, path).not.toContain('outside dist');
      expect(JSON.parse(r.body), path).toMatchObject({ code: expect.any(String), message: expect.any(String), hint: expect.any(String) });
    }
  });

  it('dashboard bridge: lookupStatic says why a path is refused', async () => {
    const root = distRoot(temp.dist);
    expect(await lookupStatic(root, '/')).toMatchObject({ ok: true, file: `${root}/index.html` });
    expect(await lookupStatic(root, '/assets/link.txt')).toMatchObject({ ok: false, status: 400, error: { message: expect.stringContaining('link out') } });
    expect(await lookupStatic(root, '/%2e%2e/package.json')).toMatchObject({ ok: false, status: 400, error: { message: expect.stringContaining('dot segment') } });
    expect(await lookupStatic(root, '/a\0b')).toMatchObject({ ok: false, error: { message: expect.stringContaining('NUL') } });
    expect(await lookupStatic(root, '/a%00b')).toMatchObject({ ok: false, error: { message: expect.stringContaining('NUL') } });
    expect(await lookupStatic(root, 'package.json')).toMatchObject({ ok: false, status: 400 });
  });
});
