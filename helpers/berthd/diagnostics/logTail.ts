// Owns: the logTail route — the last lines of berthd's and the console's log files on the host, and of
// the guest services' logs (docker, agent, containerd) read with busybox tail over a guest exec.
import { closeSync, openSync, readSync, statSync } from 'node:fs';
import type { Duplex } from 'node:stream';
import type { logSources } from '../../api/controlApi.ts';
import { HttpError } from '../control/controlServer.ts';
import { runInGuest } from '../guest/execSession.ts';

export type LogSource = (typeof logSources)[number];

/** Guest services log to /var/log/<name>.log (vm-images/rootfs/sbin/berth-service). */
export const GUEST_LOG_FILES: Record<Exclude<LogSource, 'berthd' | 'console'>, string> = {
  docker: '/var/log/dockerd.log',
  agent: '/var/log/agent.log',
  containerd: '/var/log/containerd.log',
};

/** The last `count` lines of `text`; a final newline does not make an empty last line, CRs are dropped. */
export function lastLines(text: string, count: number): string[] {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  return lines.slice(-count).map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
}

/** The last lines of a host file, reading only its end (about 512 bytes a line, at least 64 KiB). */
export function tailHostFile(path: string, count: number): string[] {
  const st = statSync(path, { throwIfNoEntry: false });
  if (!st) throw new HttpError(404, { code: 'no-log', message: `${path} does not exist yet`, hint: 'it is written once berthd has run and the VM has booted; start the VM, then look again' });
  const from = Math.max(0, st.size - Math.max(64 * 1024, count * 512));
  const buf = Buffer.alloc(st.size - from);
  const fd = openSync(path, 'r');
  let got = 0;
  try {
    while (got < buf.length) {
      const n = readSync(fd, buf, got, buf.length - got, from + got);
      if (n <= 0) break;
      got += n;
    }
  } finally {
    closeSync(fd);
  }
  const lines = lastLines(buf.subarray(0, got).toString('utf8'), Infinity);
  // Read from mid-file: the first line is most likely cut.
  return (from > 0 ? lines.slice(1) : lines).slice(-count);
}

export type LogTailDeps = {
  berthdLog: string;
  consoleLog: string;
  vmRunning: () => boolean;
  openExec: () => Duplex;
};

export async function logTail(deps: LogTailDeps, source: LogSource, count: number): Promise<{ source: LogSource; lines: string[]; path: string }> {
  if (source === 'berthd' || source === 'console') {
    const path = source === 'berthd' ? deps.berthdLog : deps.consoleLog;
    return { source, lines: tailHostFile(path, count), path };
  }
  const path = GUEST_LOG_FILES[source];
  if (!deps.vmRunning()) throw new HttpError(409, { code: 'not-running', message: `the ${source} log is inside the VM, which is not running`, hint: 'start the VM (berth start, or Start in the app), then look again' });
  let r;
  try {
    r = await runInGuest(deps.openExec, ['/bin/busybox', 'tail', '-n', String(count), path], { timeoutMs: 20_000 });
  } catch (e) {
    throw new HttpError(502, { code: 'guest-exec-failed', message: `reading ${path} in the VM failed: ${(e as Error).message}`, hint: 'try again; if it keeps failing, restart the VM (berth restart)' });
  }
  if (r.code !== 0) {
    const why = r.stderr.toString('utf8').trim() || `tail exited with ${r.code}`;
    const missing = /No such file/i.test(why);
    throw new HttpError(missing ? 404 : 502, {
      code: missing ? 'no-log' : 'guest-exec-failed',
      message: `cannot read ${path} in the VM: ${why}`,
      hint: missing ? `the ${source} service has not written its log yet; wait a moment and look again` : 'try again; if it keeps failing, restart the VM (berth restart)',
    });
  }
  return { source, lines: lastLines(r.stdout.toString('utf8'), count), path };
}
