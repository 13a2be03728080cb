// Owns: one app instance per user (T-15): the first instance runs and is brought forward when the
// app is launched again; a later instance quits. Pure decisions, plus thin wiring to app's lock.
import type { App } from 'electron';

export type InstanceDecision = { action: 'run' } | { action: 'quit'; why: string };

/** What app.requestSingleInstanceLock() answered decides whether this process is the app. */
export function decideInstance(gotLock: boolean): InstanceDecision {
  return gotLock ? { action: 'run' } : { action: 'quit', why: 'Berth is already running; the running instance was brought forward.' };
}

/** The main window as the first instance sees it when a second launch is reported. */
export type WindowPresence = 'none' | 'minimized' | 'hidden' | 'visible';
export type ForwardStep = 'open-dashboard' | 'restore' | 'show' | 'focus';

/**
 * What the first instance does on `second-instance`: open the dashboard when it has no window
 * (it lives in the tray), otherwise restore / show it and focus it.
 */
export function bringForward(presence: WindowPresence): ForwardStep[] {
  switch (presence) {
    case 'none':
      return ['open-dashboard'];
    case 'minimized':
      return ['restore', 'focus'];
    case 'hidden':
      return ['show', 'focus'];
    case 'visible':
      return ['focus'];
  }
}

/** The parts of Electron's App used here; a fake in tests builds just these. */
export interface LockingApp {
  requestSingleInstanceLock(): boolean;
  quit(): void;
  on(event: 'second-instance', listener: () => void): unknown;
}
/** Compile-time proof that Electron's App has the shape above. */
type AssertAssignable<A extends B, B> = A;
export type ElectronAppLocks = AssertAssignable<App, LockingApp>;

/**
 * Takes the per-user lock (Electron keys it on the userData directory, so another OS user runs their
 * own instance, and their own berthd). Returns false after asking this process to quit.
 */
export function claimSingleInstance(
  app: LockingApp,
  onSecondLaunch: () => void,
): boolean {
  const decision = decideInstance(app.requestSingleInstanceLock());
  if (decision.action === 'quit') {
    app.quit();
    return false;
  }
  app.on('second-instance', () => onSecondLaunch());
  return true;
}
