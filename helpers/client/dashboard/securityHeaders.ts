// Owns: the headers every answer of the dashboard bridge carries — the page's Content-Security-Policy
// (helpers/api's, for a loopback origin) and the anti-framing/sniffing set.
import { contentSecurityPolicy } from '../../api/contentSecurityPolicy.ts';

/**
 * The CSP of the dashboard served at http://127.0.0.1:<port>: the app's policy (helpers/api), with
 * network only to this origin and its own terminal WebSocket (named for both 127.0.0.1 and localhost,
 * since `'self'` does not cover ws: in every browser).
 */
export function dashboardCsp(port: number): string {
  return contentSecurityPolicy(["'self'", `ws://127.0.0.1:${port}`, `ws://localhost:${port}`]);
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
