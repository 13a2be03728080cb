// Owns: tests of publishedPorts.ts — running containers only, loopback publishes stay on loopback (T-05),
// nothing without a publish (T-06), Docker's 0.0.0.0/:: twins merged, UDP listed, big ranges bounded (T-08).
import { describe, expect, it } from 'vitest';
import { desiredForwards, forwardKey, MAX_PORTS_PER_CONTAINER, UDP_MESSAGE, type ListedContainer, type ListedPort, type PortOptions } from './publishedPorts.ts';

const loop: PortOptions = { bindAddress: '127.0.0.1', ipv6Loopback: false };
const loop6: PortOptions = { bindAddress: '127.0.0.1', ipv6Loopback: true };

function ctr(ports: ListedPort[], over: Partial<ListedContainer> = {}): ListedContainer {
  return { Id: 'c0ffee0000000000000000000000000000000000000000000000000000000001', Names: ['/web'], State: 'running', Ports: ports, ...over };
}
const tcp = (PublicPort: number | undefined, IP?: string, PrivatePort = 80): ListedPort => ({ ...(IP !== undefined ? { IP } : {}), PrivatePort, ...(PublicPort !== undefined ? { PublicPort } : {}), Type: 'tcp' });
const where = (list: { hostAddress: string; hostPort: number; state: string; protocol: string }[]) => list.map((f) => `${f.protocol}/${f.hostAddress}/${f.hostPort}/${f.state}`);

describe('desiredForwards', () => {
  it('forwards a publish on all interfaces to the bind address, keeping what Docker reported', () => {
    const [f, ...rest] = desiredForwards([ctr([tcp(8080, '0.0.0.0')])], loop);
    expect(rest).toEqual([]);
    expect(f).toEqual({
      containerId: ctr([]).Id,
      containerName: 'web',
      containerPort: 80,
      protocol: 'tcp',
      guestHostIp: '0.0.0.0',
      hostAddress: '127.0.0.1',
      hostPort: 8080,
      state: 'forwarding',
    });
    expect(forwardKey(f!)).toBe('tcp/127.0.0.1/8080');
  });

  it("merges Docker 20.10's twin listing (0.0.0.0 and ::) into one forward per host address", () => {
    const c = ctr([tcp(8080, '0.0.0.0'), tcp(8080, '::')]);
    expect(where(desiredForwards([c], loop))).toEqual(['tcp/127.0.0.1/8080/forwarding']);
    expect(where(desiredForwards([c], loop6))).toEqual(['tcp/127.0.0.1/8080/forwarding', 'tcp/::1/8080/forwarding']);
    expect(desiredForwards([c], loop)[0]?.guestHostIp).toBe('0.0.0.0');
  });

  it('treats a missing IP as all interfaces', () => {
    expect(where(desiredForwards([ctr([tcp(3000)])], loop))).toEqual(['tcp/127.0.0.1/3000/forwarding']);
  });

  it('follows each bindAddress setting', () => {
    const c = ctr([tcp(8080, '0.0.0.0'), tcp(8080, '::')]);
    expect(where(desiredForwards([c], { bindAddress: '0.0.0.0', ipv6Loopback: false }))).toEqual(['tcp/0.0.0.0/8080/forwarding']);
    expect(where(desiredForwards([c], { bindAddress: '0.0.0.0', ipv6Loopback: true }))).toEqual(['tcp/0.0.0.0/8080/forwarding', 'tcp/::/8080/forwarding']);
    expect(where(desiredForwards([c], { bindAddress: '::', ipv6Loopback: true }))).toEqual(['tcp/0.0.0.0/8080/forwarding', 'tcp/::/8080/forwarding']);
    expect(where(desiredForwards([c], { bindAddress: '::1', ipv6Loopback: true }))).toEqual(['tcp/::1/8080/forwarding']);
    const no6 = desiredForwards([c], { bindAddress: '::1', ipv6Loopback: false });
    expect(where(no6)).toEqual(['tcp/::1/8080/not-forwarded']);
    expect(no6[0]?.message).toMatch(/no IPv6 loopback: set it to 127\.0\.0\.1/);
  });

  it('T-05: a publish on 127.0.0.1 is forwarded on 127.0.0.1 only, whatever bindAddress says', () => {
    const c = ctr([tcp(5432, '127.0.0.1', 5432)]);
    for (const bindAddress of ['127.0.0.1', '0.0.0.0', '::1', '::'] as const) {
      for (const ipv6Loopback of [false, true]) {
        expect(where(desiredForwards([c], { bindAddress, ipv6Loopback }))).toEqual(['tcp/127.0.0.1/5432/forwarding']);
      }
    }
  });

  it('a publish on ::1 is forwarded on ::1, or listed as not forwarded without IPv6', () => {
    const c = ctr([tcp(5432, '::1', 5432)]);
    expect(where(desiredForwards([c], { bindAddress: '0.0.0.0', ipv6Loopback: true }))).toEqual(['tcp/::1/5432/forwarding']);
    const [f] = desiredForwards([c], { bindAddress: '0.0.0.0', ipv6Loopback: false });
    expect(f?.state).toBe('not-forwarded');
    expect(f?.message).toContain('-p 127.0.0.1:5432:5432');
  });

  it('lists a publish on one VM address as not forwarded, saying how to publish instead', () => {
    const [f, ...rest] = desiredForwards([ctr([tcp(8080, '172.17.0.1', 80)])], { bindAddress: '0.0.0.0', ipv6Loopback: true });
    expect(rest).toEqual([]);
    expect(f).toMatchObject({ state: 'not-forwarded', hostAddress: '172.17.0.1', guestHostIp: '172.17.0.1', hostPort: 8080 });
    expect(f?.message).toContain('all interfaces or on loopback');
    expect(f?.message).toContain('-p 127.0.0.1:8080:80');
    expect(f?.message).toContain('-p 8080:80');
  });

  it('T-06: nothing is forwarded without a published port, nor for containers that do not run', () => {
    expect(desiredForwards([], loop6)).toEqual([]);
    expect(desiredForwards([ctr([tcp(undefined, undefined, 80), tcp(undefined, undefined, 443)])], loop6)).toEqual([]);
    expect(desiredForwards([ctr([tcp(0, '0.0.0.0')])], loop6)).toEqual([]);
    expect(desiredForwards([ctr([])], loop6)).toEqual([]);
    expect(desiredForwards([{ Id: 'x', State: 'running' }], loop6)).toEqual([]);
    for (const State of ['created', 'paused', 'exited', 'restarting', 'dead', 'removing']) {
      expect(desiredForwards([ctr([tcp(8080, '0.0.0.0')], { State })], loop6)).toEqual([]);
    }
  });

  it('lists UDP publishes as not forwarded, once per publish', () => {
    const c = ctr([
      { IP: '0.0.0.0', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
      { IP: '::', PrivatePort: 53, PublicPort: 5353, Type: 'udp' },
      tcp(5353, '0.0.0.0', 53),
    ]);
    const list = desiredForwards([c], loop6);
    expect(where(list)).toEqual(['tcp/127.0.0.1/5353/forwarding', 'udp/127.0.0.1/5353/not-forwarded', 'tcp/::1/5353/forwarding']);
    expect(list.find((f) => f.protocol === 'udp')?.message).toBe(UDP_MESSAGE);
  });

  it('keeps the first container for a host port and names containers without their slash', () => {
    const a = ctr([tcp(8080, '0.0.0.0')], { Id: 'a', Names: ['/first'] });
    const b = ctr([tcp(8080, '0.0.0.0')], { Id: 'b', Names: ['/second'] });
    const c = ctr([tcp(9090, '0.0.0.0')], { Id: 'deadbeef00001111', Names: [] });
    const list = desiredForwards([a, b, c], loop);
    expect(list.map((f) => [f.containerName, f.hostPort])).toEqual([['first', 8080], ['deadbeef0000', 9090]]);
  });

  it('sorts by host port, then address', () => {
    const c = ctr([tcp(9000, '0.0.0.0'), tcp(80, '127.0.0.1'), tcp(443, '::')]);
    expect(where(desiredForwards([c], loop6))).toEqual(['tcp/127.0.0.1/80/forwarding', 'tcp/127.0.0.1/443/forwarding', 'tcp/::1/443/forwarding', 'tcp/127.0.0.1/9000/forwarding', 'tcp/::1/9000/forwarding']);
  });

  it('T-08: forwards the first 1000 ports of a huge range and lists the rest as one entry, quickly', () => {
    const ports: ListedPort[] = [];
    for (let p = 65535; p >= 1; p--) ports.push(tcp(p, '0.0.0.0', p), tcp(p, '::', p));
    const t0 = performance.now();
    const list = desiredForwards([ctr(ports)], loop6);
    expect(performance.now() - t0).toBeLessThan(2000);
    const forwarding = list.filter((f) => f.state === 'forwarding');
    expect(forwarding).toHaveLength(2 * MAX_PORTS_PER_CONTAINER);
    expect(Math.max(...forwarding.map((f) => f.hostPort))).toBe(MAX_PORTS_PER_CONTAINER);
    const rest = list.filter((f) => f.state === 'not-forwarded');
    expect(rest).toHaveLength(1);
    expect(rest[0]).toMatchObject({ hostPort: 1001, protocol: 'tcp' });
    expect(rest[0]?.message).toContain('64535 more published TCP ports of web (1001–65535)');
  });

  it('T-08: the limit is per container, and a range within it is whole', () => {
    const range = (from: number, n: number) => Array.from({ length: n }, (_, i) => tcp(from + i, '0.0.0.0', from + i));
    const list = desiredForwards([ctr(range(10_000, 1000), { Id: 'a' }), ctr(range(20_000, 1000), { Id: 'b' })], loop);
    expect(list.filter((f) => f.state === 'forwarding')).toHaveLength(2000);
    expect(list.some((f) => f.state === 'not-forwarded')).toBe(false);
  });
});
