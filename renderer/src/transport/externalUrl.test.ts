// T-37: the browser UI opens only http(s) links, and links to this machine only on published ports.
import { describe, expect, it } from 'vitest';
import type { PortForward } from '../../../helpers/api/ports.ts';
import { checkExternalUrl, localPortUrl, publishedPorts } from './externalUrl.ts';

const ports = new Set([8080, 443]);

function forward(hostPort: number, state: PortForward['state'], protocol: PortForward['protocol'] = 'tcp'): PortForward {
  return { containerId: 'c1', containerName: 'web', containerPort: 80, protocol, guestHostIp: '0.0.0.0', hostAddress: '127.0.0.1', hostPort, state, bytesIn: 0, bytesOut: 0, connections: 0 };
}

describe('checkExternalUrl (T-37)', () => {
  it('opens a published port on localhost, 127.0.0.1 and [::1], normalized', () => {
    expect(checkExternalUrl('http://localhost:8080', ports)).toEqual({ ok: true, url: 'http://localhost:8080/' });
    expect(checkExternalUrl('http://127.0.0.1:8080/x?y=1', ports)).toEqual({ ok: true, url: 'http://127.0.0.1:8080/x?y=1' });
    expect(checkExternalUrl('http://[::1]:8080/', ports).ok).toBe(true);
    expect(checkExternalUrl('https://localhost/', ports).ok).toBe(true);
  });

  it('refuses a port on this machine that Berth does not publish, whatever the loopback spelling', () => {
    for (const u of ['http://localhost:9090/', 'http://LOCALHOST.:22/', 'http://127.1.2.3:3000/', 'http://0.0.0.0:6379/', 'http://app.localhost:5000/', 'http://localhost/', 'http://[::ffff:7f00:1]:2375/', 'http://2130706433:2375/']) {
      const d = checkExternalUrl(u, ports);
      expect(d.ok, u).toBe(false);
    }
    expect(checkExternalUrl('http://localhost:9090/', ports)).toMatchObject({ reason: expect.stringContaining('9090') });
  });

  it('opens https to a named host but not plain http', () => {
    expect(checkExternalUrl('https://docs.docker.com/engine/', ports)).toEqual({ ok: true, url: 'https://docs.docker.com/engine/' });
    expect(checkExternalUrl('http://example.com/', ports)).toMatchObject({ ok: false, reason: expect.stringContaining('plain http') });
  });

  it('refuses other schemes', () => {
    for (const u of ['javascript:alert(1)', 'data:text/html,hi', 'file:///etc/passwd', 'ftp://example.com/', 'berth-app://ui/', 'vbscript:x', 'search-ms:query=x']) {
      expect(checkExternalUrl(u, ports).ok, u).toBe(false);
    }
  });

  it('refuses credentials, whitespace, control characters, backslashes, relative and over-long links', () => {
    for (const u of ['https://user:pw@example.com/', 'https://user@example.com/', ' https://example.com/', 'https://exa mple.com/', 'https://example.com/\n', 'https:\\\\example.com', 'http://localhost:8080\\@evil.com', '/relative', '', `https://example.com/${'a'.repeat(2100)}`]) {
      expect(checkExternalUrl(u, ports).ok, JSON.stringify(u)).toBe(false);
    }
    expect(checkExternalUrl(42, ports).ok).toBe(false);
  });

  it('shows an IDN host in punycode', () => {
    expect(checkExternalUrl('https://bücher.example/', ports)).toEqual({ ok: true, url: 'https://xn--bcher-kva.example/' });
  });

  it('publishedPorts counts only tcp forwards that answer', () => {
    expect([...publishedPorts([forward(8080, 'forwarding'), forward(8081, 'conflict'), forward(8082, 'error'), forward(8083, 'not-forwarded'), forward(53, 'forwarding', 'udp')])]).toEqual([8080]);
  });

  it('localPortUrl builds the link the containers table shows, which then passes the check', () => {
    expect(localPortUrl(8080)).toBe('http://localhost:8080/');
    expect(checkExternalUrl(localPortUrl(8080), ports).ok).toBe(true);
  });
});
