// Tests: each directive of the shared CSP (T-36), whatever connect-src sources the caller gives:
// scripts from the page's origin only, inline styles only, nothing framed, embedded or posted.
import { describe, expect, it } from 'vitest';
import { contentSecurityPolicy } from './contentSecurityPolicy.ts';

describe('contentSecurityPolicy', () => {
  const csp = contentSecurityPolicy(["'self'", 'ws://127.0.0.1:4000']);
  const directives = new Map(csp.split('; ').map((d) => [d.split(' ')[0], d.split(' ').slice(1)]));

  it('scripts from the page only, never inline or eval', () => {
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(csp).not.toMatch(/unsafe-eval|wasm-unsafe-eval|\*/);
  });

  it("inline styles only (xterm.js's <style> elements), never inline script", () => {
    expect(directives.get('style-src')).toEqual(["'self'", "'unsafe-inline'"]);
    const inline = csp.split('; ').filter((d) => d.includes("'unsafe-inline'"));
    expect(inline).toEqual(["style-src 'self' 'unsafe-inline'"]);
  });

  it('connects only to the sources given, in order', () => {
    expect(directives.get('connect-src')).toEqual(["'self'", 'ws://127.0.0.1:4000']);
    expect(contentSecurityPolicy(['berth-app://ui'])).toContain('connect-src berth-app://ui;');
  });

  it.each(['default-src', 'object-src', 'frame-src', 'worker-src', 'base-uri', 'form-action', 'frame-ancestors'])('%s is none', (name) => {
    expect(directives.get(name)).toEqual(["'none'"]);
  });

  it('names no origin besides the connect-src sources', () => {
    const others = csp.split('; ').filter((d) => !d.startsWith('connect-src '));
    expect(others.join('; ')).not.toMatch(/https?:|wss?:/);
  });
});
