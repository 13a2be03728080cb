// Claims a unix socket path for a server: a stale file (nothing answers) is removed, a live one
// owned by someone else is left alone with a clear error (T-13, T-14), a too-long path is refused (T-23).
import { lstatSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { SOCKET_PATH_MAX } from '../paths.ts';

export class SocketInUseError extends Error {
  constructor(readonly path: string) {
    super(`${path} is in use: another program answers on it. Berth leaves it alone; stop that program (or the other Berth) first.`);
    this.name = 'SocketInUseError';
  }
}

/** Whether something accepts a connection on the unix socket `path` (a connect still pending after `timeoutMs` counts). */
export function socketAnswers(path: string, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect(path);
    const done = (v: boolean): void => {
      clearTimeout(t);
      s.destroy();
      resolve(v);
    };
    const t = setTimeout(() => done(true), timeoutMs);
    s.once('connect', () => done(true));
    s.once('error', () => done(false));
  });
}

/** Make `path` free for listen(): remove it only when it is a socket nobody answers on. */
export async function claimSocketPath(path: string): Promise<'free' | 'removed-stale'> {
  if (Buffer.byteLength(path) > SOCKET_PATH_MAX) {
    throw new Error(`the socket path ${path} is ${Buffer.byteLength(path)} bytes, over this OS's ${SOCKET_PATH_MAX}; set BERTH_HOME to a shorter path`);
  }
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return 'free';
  }
  if (!st.isSocket()) throw new Error(`${path} exists and is not a socket; Berth will not replace it. Move it away and start again.`);
  if (await socketAnswers(path)) throw new SocketInUseError(path);
  unlinkSync(path);
  return 'removed-stale';
}
