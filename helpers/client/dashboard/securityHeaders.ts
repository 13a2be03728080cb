// Owns: the headers every answer of the dashboard bridge carries — the page's Content-Security-Policy
// (shaped like electron/main/windowOptions.ts's, for a loopback origin) and the anti-framing/sniffing set.
/**
 * The CSP of the dashboard served at http://127.0.0.1:<port>. Like the Electron app's policy: scripts
 * only from the bridge (no inline script, no eval), no plugins, frames, workers, forms or <base>;
 * network only to this origin and its own terminal WebSocket (named for both 127.0.0.1 and localhost,
 * since `'self'` does not cover ws: in every browser).
 *
 * style-src allows 'unsafe-inline': xterm.js (6.x, DOM renderer) inserts `<style>` elements for its
 * theme and cell dimensions and offers no nonce (xtermjs/xterm.js#4445); without it the terminal renders
 * without colours or sizes. Inline CSS cannot run script, and script-src stays 'self'.
 */
export function dashboardCsp(port: number): string {
  const directives: [string, ...string[]][] = [
    ['default-src', "'none'"],
    ['script-src', "'self'"],
    ['style-src', "'self'", "'unsafe-inline'"],
    ['img-src', "'self'", 'data:'],
    ['font-src', "'self'"],
    ['connect-src', "'self'", `ws://127.0.0.1:${port}`, `ws://localhost:${port}`],
    ['object-src', "'none'"],
    ['frame-src', "'none'"],
    ['worker-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
  return directives.map((d) => d.join(' ')).join('; ');
}

/** Sent with every answer, pages and API alike (an API answer is never a page another site may frame or sniff). */
export function securityHeaders(port: number): Record<string, string> {
  return {
    'content-security-policy': dashboardCsp(port),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
    // Other sites' pages may not even embed our answers as images or scripts (no-cors reads).
    'cross-origin-resource-policy': 'same-origin',
  };
}
