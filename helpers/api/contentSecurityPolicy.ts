// Owns: the one Content-Security-Policy builder of Berth's UI, shared by the Electron app protocol and
// the `berth dashboard` bridge; they differ only in where the page may connect (T-36). Pure.
/**
 * Scripts only from the page's own origin (no inline script, no eval); no plugins, frames, workers,
 * forms or <base>; network only to `connectSrc`.
 *
 * style-src allows 'unsafe-inline': xterm.js (6.x, DOM renderer) inserts `<style>` elements for its
 * theme and cell dimensions and offers no nonce (xtermjs/xterm.js#4445); without it the terminal renders
 * without colours or sizes. Inline CSS cannot run script, and script-src stays 'self'.
 */
export function contentSecurityPolicy(connectSrc: readonly [string, ...string[]]): string {
  const directives: [string, ...string[]][] = [
    ['default-src', "'none'"],
    ['script-src', "'self'"],
    ['style-src', "'self'", "'unsafe-inline'"],
    ['img-src', "'self'", 'data:'],
    ['font-src', "'self'"],
    ['connect-src', ...connectSrc],
    ['object-src', "'none'"],
    ['frame-src', "'none'"],
    ['worker-src', "'none'"],
    ['base-uri', "'none'"],
    ['form-action', "'none'"],
    ['frame-ancestors', "'none'"],
  ];
  return directives.map((d) => d.join(' ')).join('; ');
}
