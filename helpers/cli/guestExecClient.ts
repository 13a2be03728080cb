// Owns: running a process in the VM from the CLI — an upgraded POST /v1/exec on berthd's control socket
// carrying the exec messages; the local terminal in raw mode with resize and Ctrl-C for interactive shells.
import { request } from 'node:http';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { apiErrorSchema } from '../api/controlApi.ts';
import { ExecSession, type ExecExit } from '../berthd/guest/execSession.ts';
import { ControlApiError, DaemonUnreachable } from '../client/controlClient.ts';

/** Open an exec connection through berthd: the raw socket after its 101 answer. */
export function openExecConnection(socketPath: string): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/v1/exec', method: 'POST', headers: { connection: 'Upgrade', upgrade: 'berth-exec', 'content-length': 0 } });
    req.on('upgrade', (_res, socket: Socket, head: Buffer) => {
      if (head.length > 0) socket.unshift(head);
      resolve(socket);
    });
    req.on('response', (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => (text += d));
      res.on('end', () => {
        let parsed;
        try {
          parsed = apiErrorSchema.safeParse(JSON.parse(text));
        } catch {
          parsed = undefined;
        }
        reject(parsed?.success ? new ControlApiError(parsed.data.code, parsed.data.message, parsed.data.hint) : new Error(`berthd refused the exec connection (${res.statusCode})`));
      });
    });
    req.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' || e.code === 'ECONNREFUSED' ? new DaemonUnreachable(e.message) : e));
    req.end();
  });
}

export type GuestCommandOptions = {
  tty?: boolean;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Forward stdin (default: yes). */
  stdin?: NodeJS.ReadStream | false;
  /** Pass Ctrl-C / SIGTERM to the guest process instead of dying at once (non-tty). */
  forwardSignals?: boolean;
  env?: string[];
};

/** Exit code for the host: the guest's code (128+n after a signal). */
export async function runGuestCommand(socketPath: string, argv: string[], opts: GuestCommandOptions): Promise<ExecExit> {
  const conn = await openExecConnection(socketPath);
  const stdin = opts.stdin === false ? undefined : (opts.stdin ?? process.stdin);
  const out = process.stdout;
  const tty = Boolean(opts.tty);
  const session = ExecSession.start(conn, {
    argv,
    tty,
    ...(tty && out.isTTY ? { rows: out.rows, cols: out.columns } : {}),
    env: [...(tty ? [`TERM=${process.env.TERM ?? 'xterm-256color'}`] : []), ...(opts.env ?? [])],
  });
  const cleanups: (() => void)[] = [];
  if (tty && stdin?.isTTY) {
    stdin.setRawMode(true);
    cleanups.push(() => stdin.setRawMode(false));
  }
  if (tty && out.isTTY) {
    const onResize = (): void => session.resize(out.rows, out.columns);
    out.on('resize', onResize);
    cleanups.push(() => out.off('resize', onResize));
  }
  if (opts.forwardSignals && !tty) {
    const sigs: [NodeJS.Signals, 'SIGINT' | 'SIGTERM' | 'SIGHUP'][] = [['SIGINT', 'SIGINT'], ['SIGTERM', 'SIGTERM'], ['SIGHUP', 'SIGHUP']];
    for (const [host, guest] of sigs) {
      const h = (): void => session.signal(guest);
      process.on(host, h);
      cleanups.push(() => process.off(host, h));
    }
  }
  if (stdin) {
    const onData = (d: Buffer): void => {
      if (!session.write(d)) {
        stdin.pause();
        session.once('drain', () => stdin.resume());
      }
    };
    const onEnd = (): void => session.endInput();
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    cleanups.push(() => {
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.pause();
    });
  } else session.endInput();
  session.on('stdout', (d) => opts.stdout.write(d));
  session.on('stderr', (d) => opts.stderr.write(d));
  try {
    return await new Promise<ExecExit>((resolve, reject) => {
      session.once('exit', resolve);
      session.once('error', reject);
    });
  } finally {
    for (const c of cleanups) c();
  }
}
