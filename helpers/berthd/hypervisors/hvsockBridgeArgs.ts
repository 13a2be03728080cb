// Pure builders of hvsock-bridge's command lines (helpers/hvsock-bridge): the guest link (a named pipe
// berthd opens ← the VM's Hyper-V socket) and the public Docker pipe (← berthd's private pipe).
import { GUEST_LINK_VSOCK_PORT } from './guestLinkParams.ts';

/** An endpoint as hvsock-bridge reads it (endpoint.go): pipe:, unix: (tests on Linux) or hvsock:. */
export type BridgeEndpoint = { kind: 'pipe'; path: string } | { kind: 'unix'; path: string } | { kind: 'hvsock'; vmId: string; port: number };

const PIPE_RE = /^\\\\\.\\pipe\\[A-Za-z0-9_.-]{1,200}$/;
const GUID_RE = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

export function endpointArg(e: BridgeEndpoint): string {
  switch (e.kind) {
    case 'pipe':
      if (!PIPE_RE.test(e.path)) throw new Error(`${JSON.stringify(e.path)} is not a local pipe name like \\\\.\\pipe\\berth_link`);
      return `pipe:${e.path}`;
    case 'unix':
      if (e.path === '' || e.path.includes('\0')) throw new Error('the unix socket path is empty or holds NUL');
      return `unix:${e.path}`;
    case 'hvsock':
      if (!GUID_RE.test(e.vmId)) throw new Error(`the Hyper-V VM id ${JSON.stringify(e.vmId)} is not a GUID`);
      if (!Number.isInteger(e.port) || e.port < 1 || e.port > 0xfffffffe) throw new Error(`vsock port ${e.port} must be a whole number from 1 to 4294967294`);
      return `hvsock:${e.vmId}:${e.port}`;
  }
}

/**
 * The bridge for one route. `serverPid`: the dialled pipe must be served by this process (berthd),
 * checked with GetNamedPipeServerProcessId, so a pipe squatted under that name is never used.
 */
export function bridgeArgv(o: { listen: BridgeEndpoint; dial: BridgeEndpoint; sddl?: string; serverPid?: number }): string[] {
  if (o.listen.kind === 'hvsock') throw new Error('the bridge cannot listen on a Hyper-V socket: berthd opens the listening end');
  if (o.dial.kind === 'pipe' && o.serverPid === undefined) throw new Error('a dialled pipe needs serverPid: the bridge checks who serves it');
  const a = ['-listen', endpointArg(o.listen), '-dial', endpointArg(o.dial)];
  if (o.sddl !== undefined) {
    if (!/^[A-Za-z0-9:;()-]+$/.test(o.sddl)) throw new Error(`${JSON.stringify(o.sddl)} is not an SDDL string`);
    a.push('-sddl', o.sddl);
  }
  if (o.serverPid !== undefined) {
    if (!Number.isInteger(o.serverPid) || o.serverPid < 1) throw new Error(`serverPid ${o.serverPid} is not a process id`);
    a.push('-dial-server-pid', String(o.serverPid));
  }
  return a;
}

/** The guest link on Windows: berthd opens `pipe`, the bridge dials the agent's vsock port in the VM. */
export function linkBridgeArgv(pipe: string, vmId: string, port = GUEST_LINK_VSOCK_PORT): string[] {
  return bridgeArgv({ listen: { kind: 'pipe', path: pipe }, dial: { kind: 'hvsock', vmId, port } });
}
