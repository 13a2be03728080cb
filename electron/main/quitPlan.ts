// Owns: what quitting and closing mean — closing the window keeps Berth in the tray; Quit stops the VM
// when settings.stopVmOnQuit says so (or when berthd lives inside the app and cannot outlive it).
import type { VmState } from '../../helpers/api/vmState.ts';

export interface QuitInput {
  /** settings.stopVmOnQuit as berthd last reported it; undefined when unknown. */
  stopVmOnQuit: boolean | undefined;
  /** The VM's state, or undefined when berthd does not answer. */
  vm: VmState['state'] | undefined;
  /** berthd runs as the app's own utility process (no Node.js found to run it detached): it ends with the app. */
  berthdInsideApp: boolean;
}

export interface QuitPlan {
  stopVm: boolean;
  /** Ask berthd to exit (it would be killed with the app otherwise). */
  shutdownBerthd: boolean;
  /** Said in the log (and the tray's last status) so the user knows what Quit did. */
  note: string;
}

export function quitPlan(input: QuitInput): QuitPlan {
  if (input.vm === undefined) return { stopVm: false, shutdownBerthd: false, note: 'berthd is not running; nothing to stop' };
  const vmUp = input.vm === 'running' || input.vm === 'starting';
  if (!vmUp) return { stopVm: false, shutdownBerthd: input.berthdInsideApp, note: `the VM is ${input.vm}; nothing to stop` };
  if (input.berthdInsideApp) {
    return {
      stopVm: true,
      shutdownBerthd: true,
      note: 'stopping the VM: berthd runs inside the app (no Node.js 20.19+ was found to run it on its own), so it cannot keep the VM after Quit',
    };
  }
  // Unknown settings count as the default (stop), so a VM is never left behind by surprise.
  if (input.stopVmOnQuit !== false) return { stopVm: true, shutdownBerthd: false, note: 'stopping the VM (settings: stopVmOnQuit)' };
  return { stopVm: false, shutdownBerthd: false, note: 'the VM keeps running (settings: stopVmOnQuit is off); `berth stop` stops it' };
}

/** The main window's `close`: hidden to the tray, unless the app is quitting. */
export function closeAction(quitting: boolean): 'hide' | 'close' {
  return quitting ? 'close' : 'hide';
}

/** Seconds berthd gives the guest to shut down cleanly on Quit before forcing it off. */
export const QUIT_STOP_TIMEOUT_SECONDS = 20;
