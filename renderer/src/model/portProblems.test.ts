import { describe, expect, it } from 'vitest';
import type { ContainerSummary } from '../../../helpers/api/docker.ts';
import type { PortForward } from '../../../helpers/api/ports.ts';
import { containerPortViews, portProblems } from './portProblems.ts';

function fwd(hostPort: number, state: PortForward['state'], message?: string): PortForward {
  return { containerId: 'c1', containerName: 'web', containerPort: 80, protocol: 'tcp', guestHostIp: '0.0.0.0', hostAddress: '127.0.0.1', hostPort, state, ...(message ? { message } : {}), bytesIn: 0, bytesOut: 0, connections: 0 };
}

describe('portProblems', () => {
  it('lists conflicts and errors with what happened and what to do; nothing else', () => {
    const problems = portProblems([fwd(8080, 'forwarding'), fwd(8081, 'conflict', 'held by nginx (pid 1234)'), fwd(8082, 'error', 'EACCES'), fwd(8083, 'not-forwarded', 'udp')]);
    expect(problems.map((p) => [p.hostPort, p.state])).toEqual([[8081, 'conflict'], [8082, 'error']]);
    expect(problems[0]!.message).toBe('Port 8081 (web:80/tcp) is not reachable on this computer: held by nginx (pid 1234).');
    expect(portProblems([fwd(9000, 'conflict')])[0]!.message).toBe('Port 9000 (web:80/tcp) is not reachable on this computer: another program already uses port 9000.');
    expect(portProblems([fwd(9000, 'conflict', 'busy; retrying.')])[0]!.message).toMatch(/retrying\.$/);
    expect(problems[0]!.hint).toContain('-p 8082:80');
    expect(problems[1]!.message).toContain('EACCES');
    expect(problems.every((p) => p.hint.length > 0)).toBe(true);
  });
});

describe('containerPortViews', () => {
  const c: ContainerSummary = {
    id: 'c1', name: 'web', image: 'busybox', command: 'httpd', state: 'running', status: 'Up', created: 1,
    ports: [
      { privatePort: 443, type: 'tcp' },
      { privatePort: 80, publicPort: 8080, type: 'tcp', ip: '0.0.0.0' },
      { privatePort: 80, publicPort: 8080, type: 'tcp', ip: '::' },
      { privatePort: 81, publicPort: 8081, type: 'tcp' },
      { privatePort: 82, publicPort: 8082, type: 'tcp' },
    ],
  };
  it('links only ports that answer, once each, published first', () => {
    const views = containerPortViews(c, [fwd(8080, 'forwarding'), { ...fwd(8081, 'conflict', 'held by x'), containerPort: 81 }]);
    expect(views.map((v) => [v.text, v.state, v.linkable])).toEqual([
      ['8080→80/tcp', 'forwarding', true],
      ['8081→81/tcp', 'conflict', false],
      ['8082→82/tcp', 'unknown', false],
      ['443/tcp', 'not-forwarded', false],
    ]);
    expect(views[1]!.message).toBe('held by x');
  });
});
