// Owns: published ports as the screens show them — the link for a port that answers on this
// computer, and a port Berth cannot forward (conflict/error) with what happened and what to do.
import type { ContainerSummary } from '../../../helpers/api/docker.ts';
import type { PortForward } from '../../../helpers/api/ports.ts';

export interface PortProblem {
  key: string;
  containerName: string;
  hostPort: number;
  state: 'conflict' | 'error';
  /** What happened, with the port and container. */
  message: string;
  /** What to do about it. */
  hint: string;
}

const forwardKey = (f: PortForward) => `${f.containerId}/${f.containerPort}/${f.protocol}/${f.hostPort}`;

export function portProblems(forwards: readonly PortForward[]): PortProblem[] {
  const out: PortProblem[] = [];
  for (const f of forwards) {
    if (f.state !== 'conflict' && f.state !== 'error') continue;
    const where = `Port ${f.hostPort} (${f.containerName}:${f.containerPort}/${f.protocol})`;
    if (f.state === 'conflict') {
      out.push({
        key: forwardKey(f),
        containerName: f.containerName,
        hostPort: f.hostPort,
        state: f.state,
        message: `${where} is not reachable on this computer: ${f.message ?? `another program already uses port ${f.hostPort}`}.`.replace(/\.\.$/, '.'),
        hint: `Free port ${f.hostPort}, or publish the container on another port (docker run -p ${f.hostPort + 1}:${f.containerPort} …). Berth forwards it as soon as the port is free.`,
      });
    } else {
      out.push({
        key: forwardKey(f),
        containerName: f.containerName,
        hostPort: f.hostPort,
        state: f.state,
        message: `${where} could not be opened on this computer${f.message ? `: ${f.message}` : '.'}`,
        hint: 'Check the ports bind address in Settings, then restart the container; Troubleshoot → berthd log has the details.',
      });
    }
  }
  return out;
}

export type PortLinkState = PortForward['state'] | 'unknown';

export interface ContainerPortView {
  key: string;
  /** "8080→80/tcp" or "80/tcp" for an unpublished port. */
  text: string;
  hostPort?: number;
  state: PortLinkState;
  /** Only a port that answers on this computer is a link. */
  linkable: boolean;
  message?: string;
}

/** A container's ports with their forward state, published ones first, each port once. */
export function containerPortViews(container: ContainerSummary, forwards: readonly PortForward[]): ContainerPortView[] {
  const seen = new Set<string>();
  const views: ContainerPortView[] = [];
  for (const p of container.ports) {
    const key = `${p.publicPort ?? ''}/${p.privatePort}/${p.type}`;
    if (seen.has(key)) continue; // Docker lists a publish once per address family
    seen.add(key);
    if (p.publicPort === undefined) {
      views.push({ key, text: `${p.privatePort}/${p.type}`, state: 'not-forwarded', linkable: false });
      continue;
    }
    const f = forwards.find((x) => x.containerId === container.id && x.hostPort === p.publicPort && x.containerPort === p.privatePort && x.protocol === p.type);
    const state: PortLinkState = f?.state ?? 'unknown';
    views.push({
      key,
      text: `${p.publicPort}→${p.privatePort}/${p.type}`,
      hostPort: p.publicPort,
      state,
      linkable: state === 'forwarding' && p.type === 'tcp',
      ...(f?.message ? { message: f.message } : {}),
    });
  }
  return views.sort((a, b) => Number(b.hostPort !== undefined) - Number(a.hostPort !== undefined));
}
