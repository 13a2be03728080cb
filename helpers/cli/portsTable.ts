// Owns: `berth ports` as a table — container, container port, host address:port, state, bytes moved,
// and under a row the reason when a port is not forwarded. Pure.
import type { PortForward } from '../api/ports.ts';
import { formatSize } from '../api/settings.ts';

const hostEndpoint = (f: PortForward): string => (f.hostAddress.includes(':') ? `[${f.hostAddress}]:${f.hostPort}` : `${f.hostAddress}:${f.hostPort}`);

export function portsTable(forwards: PortForward[]): string[] {
  const rows = forwards.map((f) => [f.containerName, `${f.containerPort}/${f.protocol}`, hostEndpoint(f), f.state, `${formatSize(f.bytesIn)} in, ${formatSize(f.bytesOut)} out`]);
  const head = ['CONTAINER', 'PORT', 'HOST', 'STATE', 'MOVED'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i]!))).join('  ');
  const out = [line(head)];
  forwards.forEach((f, i) => {
    out.push(line(rows[i]!));
    if (f.message && f.state !== 'forwarding') out.push(`  → ${f.message}`);
  });
  return out;
}
