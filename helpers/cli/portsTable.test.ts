// Owns: tests of portsTable.ts — aligned columns, IPv6 in brackets, reasons under rows that do not forward.
import { describe, expect, it } from 'vitest';
import type { PortForward } from '../api/ports.ts';
import { portsTable } from './portsTable.ts';

const base: PortForward = { containerId: 'abc', containerName: 'web', containerPort: 80, protocol: 'tcp', guestHostIp: '0.0.0.0', hostAddress: '127.0.0.1', hostPort: 8080, state: 'forwarding', bytesIn: 2048, bytesOut: 1048576, connections: 3 };

describe('portsTable', () => {
  it('prints one aligned row per forward, with why when it does not forward', () => {
    const lines = portsTable([base, { ...base, hostAddress: '::1' }, { ...base, containerName: 'db', hostPort: 5432, state: 'conflict', message: 'held by postgres (pid 7)' }]);
    expect(lines[0]).toMatch(/^CONTAINER\s+PORT\s+HOST\s+STATE\s+MOVED$/);
    expect(lines[1]).toMatch(/^web\s+80\/tcp\s+127\.0\.0\.1:8080\s+forwarding\s+2 KiB in, 1 MiB out$/);
    expect(lines[2]).toContain('[::1]:8080');
    expect(lines[3]).toMatch(/^db\s+80\/tcp\s+127\.0\.0\.1:5432\s+conflict/);
    expect(lines[4]).toBe('  → held by postgres (pid 7)');
    expect(lines[1]!.indexOf('80/tcp')).toBe(lines[0]!.indexOf('PORT'));
  });
});
