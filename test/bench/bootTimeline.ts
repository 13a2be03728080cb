// Owns: the boot timeline of one VM — when the host first saw each console marker, the guest uptime
// the marker carries, QEMU's own start time from /proc — and the phases (firmware, kernel, init,
// Docker, host) computed from them on one host clock.
import { readFileSync } from 'node:fs';
import { ConsoleFollower } from '../../helpers/berthd/hypervisors/consoleFollower.ts';

const CLK_TCK = 100;

/** Wall-clock ms (epoch) at which a process started, from /proc (10 ms resolution; /proc/stat's btime has only 1 s). */
export function processStartMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const startTicks = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]);
  const now = Date.now();
  const uptimeS = Number(readFileSync('/proc/uptime', 'utf8').split(' ')[0]);
  return now - (uptimeS - startTicks / CLK_TCK) * 1000;
}

export type Marker = { line: string; seenMs: number; uptimeS?: number };

/** Follows a console log from now on and records when each line first appeared (epoch ms). */
export class ConsoleTimeline {
  readonly markers: Marker[] = [];
  private readonly follower: ConsoleFollower;

  constructor(path: string) {
    this.follower = new ConsoleFollower(path, 15);
    this.follower.onLine((line) => {
      const m = /\(uptime ([\d.]+)s\)\s*$/.exec(line);
      this.markers.push({ line, seenMs: Date.now(), ...(m ? { uptimeS: Number(m[1]) } : {}) });
    });
  }

  find(re: RegExp): Marker | undefined {
    return this.markers.find((m) => re.test(m.line));
  }

  waitFor(re: RegExp, timeoutMs: number): Promise<RegExpMatchArray> {
    return this.follower.waitFor(re, timeoutMs);
  }

  stop(): void {
    this.follower.stop();
  }
}

/** The marker patterns that bound each phase, per VM kind. */
export type PhaseMarkers = { kernelEnd: RegExp; initEnd: RegExp; dockerEnd: RegExp };

export const BERTH_MARKERS: PhaseMarkers = {
  kernelEnd: /^berth: init \(uptime/,
  initEnd: /^berth: boot steps done/,
  dockerEnd: /^berth: docker ready/,
};

// Not anchored: the firmware's and getty's text can precede a marker on its line.
export const DEBIAN_MARKERS: PhaseMarkers = {
  kernelEnd: /bench: kernel done \(uptime/,
  initEnd: /bench: dockerd starting \(uptime/,
  dockerEnd: /bench: docker ready \(uptime/,
};

export type Phases = {
  /** From the command (berth start / QEMU spawn) to QEMU's process start. */
  beforeQemuS: number;
  /** QEMU start to the guest clock's zero: firmware, loading and decompressing the kernel. */
  firmwareS: number;
  /** Guest clock 0 to the first userspace marker (kernel, initramfs unpacked). */
  kernelS: number;
  /** Init up to where Docker's services start. */
  initS: number;
  /** Docker's services starting to dockerd answering in the guest. */
  dockerS: number;
  /** From dockerd answering in the guest to the end of the measurement (host side of readiness). */
  hostS: number;
  totalS: number;
};

/**
 * Phases on one host timeline: guest uptime u happens at host time qemuStart + firmware + u, where
 * firmware is read from the first marker the host saw (its seen time less its uptime).
 */
export function phases(t: ConsoleTimeline, m: PhaseMarkers, startMs: number, qemuStartMs: number, endMs: number): Phases | undefined {
  const kernel = t.find(m.kernelEnd);
  const init = t.find(m.initEnd);
  const docker = t.find(m.dockerEnd);
  if (kernel?.uptimeS === undefined || init?.uptimeS === undefined || docker?.uptimeS === undefined) return undefined;
  // The earliest-seen marker with an uptime bounds the firmware best (later ones carry polling lag too).
  const firstSeen = t.markers.filter((x) => x.uptimeS !== undefined).reduce((a, b) => (b.seenMs - b.uptimeS! * 1000 < a.seenMs - a.uptimeS! * 1000 ? b : a));
  const zeroMs = firstSeen.seenMs - firstSeen.uptimeS! * 1000;
  return {
    beforeQemuS: (qemuStartMs - startMs) / 1000,
    firmwareS: (zeroMs - qemuStartMs) / 1000,
    kernelS: kernel.uptimeS,
    initS: init.uptimeS - kernel.uptimeS,
    dockerS: docker.uptimeS - init.uptimeS,
    hostS: (endMs - (zeroMs + docker.uptimeS * 1000)) / 1000,
    totalS: (endMs - startMs) / 1000,
  };
}
