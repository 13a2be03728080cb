// Owns: turning a validated terminal spec into a running session of its kind, with the failures a
// user can act on (the VM is not running, no such container, no shell) said before anything starts.
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { openContainerExec, type GuestGroupKill } from './containerExecSession.ts';
import { HostShellSession, type HostProcess } from './hostShellSession.ts';
import type { ParsedTerminalSpec } from './terminalConnection.ts';
import { TerminalFailure, type TerminalSession } from './terminalSession.ts';
import { VmShellSession } from './vmShellSession.ts';

export type TerminalBackends = {
  vmRunning: () => boolean;
  /** A fresh guest `exec` stream; throws when the VM is not running. */
  openGuestExec: () => Duplex;
  docker: Docker;
  dockerSocket: string;
  killInGuest: GuestGroupKill;
  /** The host shell to run, at this size. */
  hostProcess: (size: { cols: number; rows: number }) => HostProcess;
};

const VM_STOPPED_HINT = 'start the VM (`berth start`, or Start in the app), then open the terminal again';

export async function openTerminalSession(spec: ParsedTerminalSpec, b: TerminalBackends): Promise<TerminalSession> {
  const size = { cols: spec.cols, rows: spec.rows };
  switch (spec.kind) {
    case 'host':
      return new HostShellSession(b.hostProcess(size));
    case 'vm': {
      let stream: Duplex;
      try {
        stream = b.openGuestExec();
      } catch {
        throw new TerminalFailure('vm-not-running', 'the VM is not running, so it has no shell to open', VM_STOPPED_HINT);
      }
      return new VmShellSession(stream, size);
    }
    case 'container':
      if (!b.vmRunning()) throw new TerminalFailure('vm-not-running', `the VM is not running, so container ${spec.id} is not either`, VM_STOPPED_HINT);
      return openContainerExec(b.docker, b.dockerSocket, b.killInGuest, { id: spec.id, ...(spec.argv ? { argv: spec.argv } : {}), ...size });
  }
}
