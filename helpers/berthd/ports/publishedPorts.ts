// Owns: which host listeners Docker's published ports call for (pure): running containers only, a
// loopback publish stays on loopback (T-05), nothing without a publish (T-06), big ranges bounded (T-08).
import type { PortForward } from '../../api/ports.ts';
import type { bindAddresses } from '../../api/settings.ts';

export type BindAddress = (typeof bindAddresses)[number];
export type PortOptions = {
  /** The ports.bindAddress setting: where a publish on all interfaces listens on the host. */
  bindAddress: BindAddress;
  /** Whether this host can listen on ::1 (then it has IPv6 at all). */
  ipv6Loopback: boolean;
};

/** What listContainers gives (dockerode's ContainerInfo fits); Docker leaves IP and PublicPort out for unpublished ports. */
export type ListedPort = { IP?: string; PrivatePort: number; PublicPort?: number; Type: string };
export type ListedContainer = { Id: string; Names?: string[]; State: string; Ports?: ListedPort[] };

/** A forward as the published ports ask for it; the forwarder adds the live state and counters. */
export type DesiredForward = Omit<PortForward, 'state' | 'bytesIn' | 'bytesOut' | 'connections'> & {
  state: 'forwarding' | 'not-forwarded';
};

/** Published ports of one container forwarded at most, per protocol; the rest are listed as not forwarded (T-08). */
export const MAX_PORTS_PER_CONTAINER = 1000;

export const UDP_MESSAGE = 'UDP publishes are not forwarded to the host yet; TCP is: publish a TCP port to reach this service from the host';

/** The identity of a forward: one host listener. */
export function forwardKey(f: Pick<PortForward, 'protocol' | 'hostAddress' | 'hostPort'>): string {
  return `${f.protocol}/${f.hostAddress}/${f.hostPort}`;
}

export function isIpv6(address: string): boolean {
  return address.includes(':');
}

type Placement = { addresses: string[] } | { hostAddress: string; message: string };

/**
 * Where a publish on `ip` in the VM listens on the host. A publish on all interfaces follows bindAddress,
 * with its IPv6 twin when the host has IPv6 (127.0.0.1 adds ::1; 0.0.0.0 and :: both listen on 0.0.0.0
 * and on :: v6-only, so a conflict on one family is reported on its own). A loopback publish stays on
 * that loopback whatever bindAddress says (T-05).
 */
export function placePublish(ip: string, port: number, containerPort: number, opts: PortOptions): Placement {
  const noV6 = (what: string, todo: string): Placement => ({ hostAddress: '::1', message: `${what}, but this computer has no IPv6 loopback: ${todo}` });
  if (ip === '127.0.0.1') return { addresses: ['127.0.0.1'] };
  if (ip === '::1') return opts.ipv6Loopback ? { addresses: ['::1'] } : noV6(`port ${port} is published on ::1 in the VM`, `publish with -p 127.0.0.1:${port}:${containerPort} instead`);
  if (ip === '' || ip === '0.0.0.0' || ip === '::') {
    switch (opts.bindAddress) {
      case '127.0.0.1':
        return { addresses: opts.ipv6Loopback ? ['127.0.0.1', '::1'] : ['127.0.0.1'] };
      case '::1':
        return opts.ipv6Loopback ? { addresses: ['::1'] } : noV6('the ports.bindAddress setting is ::1', 'set it to 127.0.0.1 (berth settings set ports.bindAddress=127.0.0.1)');
      case '0.0.0.0':
      case '::':
        return { addresses: opts.ipv6Loopback ? ['0.0.0.0', '::'] : ['0.0.0.0'] };
    }
  }
  return {
    hostAddress: ip,
    message: `port ${port} is published on ${ip}, one address of the VM: Berth forwards publishes on all interfaces or on loopback only; publish with -p 127.0.0.1:${port}:${containerPort} or -p ${port}:${containerPort}`,
  };
}

function publicPort(p: ListedPort): number | undefined {
  const n = p.PublicPort;
  return typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= 65535 ? n : undefined;
}

/** The forwards one container's publishes call for (not yet deduplicated across containers). */
function containerForwards(c: ListedContainer, opts: PortOptions): DesiredForward[] {
  const containerName = (c.Names?.[0] ?? c.Id.slice(0, 12)).replace(/^\//, '');
  const out: DesiredForward[] = [];
  const published = (c.Ports ?? [])
    .map((p) => ({ p, port: publicPort(p) }))
    .filter((x): x is { p: ListedPort; port: number } => x.port !== undefined)
    .sort((a, b) => a.port - b.port);
  const taken = { tcp: new Set<number>(), udp: new Set<number>() };
  const skipped = { tcp: [] as number[], udp: [] as number[] };
  const firstSkipped: { tcp?: DesiredForward; udp?: DesiredForward } = {};
  for (const { p, port } of published) {
    const type = String(p.Type ?? 'tcp').toLowerCase();
    if (type !== 'tcp' && type !== 'udp') continue; // sctp: no host side to give it
    const protocol: 'tcp' | 'udp' = type;
    const ip = p.IP ?? '';
    const base = { containerId: c.Id, containerName, containerPort: p.PrivatePort, protocol, guestHostIp: ip, hostPort: port };
    // Ranges: the first MAX_PORTS_PER_CONTAINER host ports of each protocol count, the rest are summed up below.
    const over = !taken[protocol].has(port) && taken[protocol].size >= MAX_PORTS_PER_CONTAINER;
    if (over && firstSkipped[protocol]) {
      skipped[protocol].push(port);
      continue;
    }
    const place = placePublish(ip, port, p.PrivatePort, opts);
    const entries: DesiredForward[] =
      'message' in place
        ? [{ ...base, hostAddress: place.hostAddress, state: 'not-forwarded', message: place.message }]
        : protocol === 'udp'
          ? [{ ...base, hostAddress: place.addresses[0] ?? '127.0.0.1', state: 'not-forwarded', message: UDP_MESSAGE }]
          : place.addresses.map((hostAddress) => ({ ...base, hostAddress, state: 'forwarding' as const }));
    if (over) {
      firstSkipped[protocol] = entries[0];
      skipped[protocol].push(port);
      continue;
    }
    taken[protocol].add(port);
    out.push(...entries);
  }
  for (const protocol of ['tcp', 'udp'] as const) {
    const first = firstSkipped[protocol];
    const ports = skipped[protocol];
    if (!first) continue;
    const count = new Set(ports).size;
    out.push({
      ...first,
      state: 'not-forwarded',
      message: `${count} more published ${protocol.toUpperCase()} ports of ${containerName} (${ports[0]}–${ports[ports.length - 1]}) are not forwarded: Berth forwards at most ${MAX_PORTS_PER_CONTAINER} published ports per container; publish a smaller range`,
    });
  }
  return out;
}

/**
 * The host listeners the running containers' published ports call for: one per (protocol, hostAddress,
 * hostPort), the first publish winning (Docker 20.10 lists one publish twice, for 0.0.0.0 and ::).
 * Nothing but Docker's published ports is ever forwarded: the VM's own ports are not looked at (T-06).
 */
export function desiredForwards(containers: readonly ListedContainer[], opts: PortOptions): DesiredForward[] {
  const byKey = new Map<string, DesiredForward>();
  for (const c of containers) {
    if (c.State !== 'running') continue;
    for (const f of containerForwards(c, opts)) {
      const key = forwardKey(f);
      if (!byKey.has(key)) byKey.set(key, f);
    }
  }
  return sortForwards([...byKey.values()]);
}

/** By host port, then address, then protocol: the order lists are shown in. */
export function sortForwards<T extends Pick<PortForward, 'protocol' | 'hostAddress' | 'hostPort'>>(list: T[]): T[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return list.sort((a, b) => a.hostPort - b.hostPort || cmp(a.hostAddress, b.hostAddress) || cmp(a.protocol, b.protocol));
}
