// Owns: the desktop app's connection to berthd through helpers/client — calls with "berthd is not
// running" said plainly, the followed event stream, and the published ports the app may open (T-37).
import type { ApiError, ApiEvent, RouteName } from '../../helpers/api/controlApi.ts';
import type { PortForward } from '../../helpers/api/ports.ts';
import type { Unsubscribe } from '../../helpers/api/transport.ts';
import { daemonAnswers, ensureDaemonWith, type LaunchedDaemon } from '../../helpers/client/berthdStarter.ts';
import { call, DaemonUnreachable, followEvents } from '../../helpers/client/controlClient.ts';
import { followWithRetry, type Timers } from './eventFollower.ts';

export const BERTHD_DOWN: ApiError = {
  code: 'berthd-down',
  message: "Berth's engine (berthd) is not running",
  hint: 'Choose Start in the Berth menu (tray icon); if it does not start, see Troubleshoot → berthd log.',
};

/** Host ports the user may open in a browser: published TCP ports Berth forwards right now. */
export function confirmedLocalPorts(forwards: readonly PortForward[]): Set<number> {
  return new Set(forwards.filter((f) => f.state === 'forwarding' && f.protocol === 'tcp').map((f) => f.hostPort));
}

export interface BerthdLinkOptions {
  controlSocket: string;
  berthdLog: string;
  log: (message: string) => void;
  timers?: Timers;
}

export class BerthdLink {
  private ports = new Set<number>();

  constructor(private readonly opts: BerthdLinkOptions) {}

  /** Published ports as of berthd's last `ports` event or answer. */
  get confirmedLocalPorts(): ReadonlySet<number> {
    return this.ports;
  }

  answers(): Promise<boolean> {
    return daemonAnswers(this.opts.controlSocket);
  }

  /** Starts berthd with `launch` (berthdLaunch.ts's plan) when its socket does not answer, and waits until it does. */
  ensure(launch: () => LaunchedDaemon): Promise<'running' | 'started'> {
    return ensureDaemonWith({ controlSocket: this.opts.controlSocket, logFile: this.opts.berthdLog, launch });
  }

  /** A control API call; an absent berthd is BERTHD_DOWN, berthd's own errors pass through. */
  async call(name: RouteName, body: unknown, timeoutMs?: number): Promise<unknown> {
    try {
      return await call(this.opts.controlSocket, name, body, timeoutMs);
    } catch (e) {
      if (e instanceof DaemonUnreachable) throw BERTHD_DOWN;
      throw e;
    }
  }

  /** Follows berthd's events for as long as the caller wants, reconnecting; keeps the published ports current. */
  followEvents(onEvent: (event: ApiEvent) => void, connected: (up: boolean) => void): Unsubscribe {
    return followWithRetry(
      (each, end) => followEvents(this.opts.controlSocket, each, end),
      (event) => {
        if (event.type === 'ports') this.ports = confirmedLocalPorts(event.forwards);
        onEvent(event);
      },
      connected,
      this.opts.timers,
    );
  }

  /** Reads the published ports once (the event stream only says when they change). */
  async refreshPorts(): Promise<void> {
    try {
      const answer = (await this.call('ports', {})) as { forwards: PortForward[] };
      this.ports = confirmedLocalPorts(answer.forwards);
    } catch (e) {
      this.opts.log(`could not read published ports: ${(e as Error).message}`);
    }
  }
}
