// Owns: berthd's terminals as one service for main.ts — the backends built from the VM manager and
// paths, the registry, ending VM/container terminals when the VM stops and all of them at shutdown.
import { homedir } from 'node:os';
import type { Duplex } from 'node:stream';
import type { WebSocket } from 'ws';
import type { VmState } from '../../api/vmState.ts';
import { dockerOnSocket } from '../docker/dockerOnSocket.ts';
import { runInGuest } from '../guest/execSession.ts';
import { hostShellPlan } from './hostShellPlan.ts';
import type { TerminalBackends } from './openTerminalSession.ts';
import { openTerminalSession } from './openTerminalSession.ts';
import { serveTerminal } from './terminalConnection.ts';
import { TerminalRegistry } from './terminalRegistry.ts';
import { TerminalFailure } from './terminalSession.ts';

export type TerminalServiceDeps = {
  dockerSocket: string;
  /** Is the VM running now. */
  vmRunning: () => boolean;
  /** A new guest stream (VmManager.openGuestStream); throws when the VM is not running. */
  openGuestStream: (target: string) => Duplex;
  log: (m: string) => void;
};

export class TerminalService {
  readonly registry: TerminalRegistry;
  private readonly backends: TerminalBackends;

  constructor(
    private readonly deps: TerminalServiceDeps,
    max?: number,
  ) {
    this.registry = new TerminalRegistry(max);
    const openGuestExec = (): Duplex => deps.openGuestStream('exec');
    this.backends = {
      vmRunning: deps.vmRunning,
      openGuestExec,
      docker: dockerOnSocket(deps.dockerSocket),
      dockerSocket: deps.dockerSocket,
      // The VM has busybox: its kill takes a negative pid for a process group.
      killInGuest: async (pgid, signal) => {
        await runInGuest(openGuestExec, ['/bin/busybox', 'kill', `-${signal}`, `-${pgid}`], { timeoutMs: 10_000 });
      },
      hostProcess: (size) => ({ ...hostShellPlan(process.env, deps.dockerSocket, homedir()), ...size }),
    };
  }

  /** A WebSocket accepted on /v1/terminal. */
  serve(ws: WebSocket, query: URLSearchParams): void {
    serveTerminal(ws, query, { registry: this.registry, open: (spec) => openTerminalSession(spec, this.backends), log: this.deps.log });
  }

  /** The VM left `running`: its shells and container execs cannot go on. */
  vmStateChanged(vm: VmState): void {
    if (vm.state === 'running' || vm.state === 'starting') return;
    if (this.registry.size === 0) return;
    void this.registry.endKinds(['vm', 'container'], new TerminalFailure('vm-stopped', 'the VM stopped, which ended this terminal', 'start the VM again, then open a new terminal'));
  }

  /** berthd is stopping: end every terminal (host shells too) and open no more. */
  close(): Promise<void> {
    return this.registry.closeAll(new TerminalFailure('berthd-stopping', 'Berth is shutting down, which ended this terminal', 'start Berth again, then open a new terminal'));
  }
}
