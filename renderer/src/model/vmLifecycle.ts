// Owns: which of Start / Stop / Restart the UI offers in each VM state (the same rules as the tray,
// electron/main/trayModel.ts, which mirror berthd's transition table) and the state said in words.
import type { VmState } from '../../../helpers/api/vmState.ts';

export type LifecycleAction = 'start' | 'stop' | 'restart';
export type Lifecycle = Readonly<Record<LifecycleAction, boolean>>;

/** `undefined`: berthd has not answered; Start is still offered (it is what brings Berth up). */
const byState: Record<VmState['state'] | 'unknown', Lifecycle> = {
  unknown: { start: true, stop: false, restart: false },
  stopped: { start: true, stop: false, restart: false },
  // Stop while starting cancels the start.
  starting: { start: false, stop: true, restart: false },
  running: { start: false, stop: true, restart: true },
  stopping: { start: false, stop: false, restart: false },
  // Start retries; Stop clears the error.
  error: { start: true, stop: true, restart: false },
};

export function lifecycle(vm: VmState | undefined): Lifecycle {
  return byState[vm?.state ?? 'unknown'];
}

export type VmTone = 'stopped' | 'busy' | 'running' | 'degraded' | 'error';

export interface VmHeadline {
  /** "Running", "Starting · booting", "Degraded", "Error". */
  title: string;
  tone: VmTone;
  /** 0..1 while starting. */
  progress?: number;
}

export function vmHeadline(vm: VmState | undefined): VmHeadline {
  if (vm === undefined) return { title: 'Unknown', tone: 'stopped' };
  switch (vm.state) {
    case 'stopped':
      return { title: 'Stopped', tone: 'stopped' };
    case 'starting':
      return { title: `Starting · ${vm.phase}`, tone: 'busy', progress: Math.min(1, Math.max(0, vm.progress)) };
    case 'stopping':
      return { title: 'Stopping', tone: 'busy' };
    case 'running':
      return vm.degraded.length > 0 ? { title: 'Running, degraded', tone: 'degraded' } : { title: 'Running', tone: 'running' };
    case 'error':
      return { title: 'Error', tone: 'error' };
  }
}

/** Docker answers only while the VM runs: what the Containers, Images and Volumes screens say otherwise. */
export function dockerUnavailableReason(vm: VmState | undefined, connected: boolean | undefined): string | undefined {
  if (connected === false) return "Berth's engine is not answering, so Docker's lists cannot be shown.";
  if (vm === undefined) return 'Waiting for Berth to say how the VM is…';
  switch (vm.state) {
    case 'running':
    case 'stopping':
      return undefined;
    case 'starting':
      return `The VM is starting (${vm.phase}); Docker's lists appear when it runs.`;
    case 'stopped':
      return 'The VM is stopped: start it on the Dashboard to see Docker here.';
    case 'error':
      return 'The VM failed: see the Dashboard for what happened and what to do.';
  }
}
