// Puts a server on a Windows named pipe. A pipe has no file: nothing to claim, unlink or chmod (unix
// sockets keep unixSocketClaim.ts + chmod 0600). libuv creates the pipe first-instance, so a pipe
// another program already serves fails with EADDRINUSE: refused, saying who may hold it and what to do.
import type { Server } from 'node:net';

export class PipeInUseError extends Error {
  constructor(
    readonly path: string,
    readonly what: string,
  ) {
    super(
      `${what} ${path} is already served by another program: another Berth (maybe another user's, or a berthd still stopping) or another Docker engine holds it. ` +
        'Berth leaves it alone. Stop that program (`berth stop` for another Berth; Task Manager shows the others) and start again.',
    );
    this.name = 'PipeInUseError';
  }
}

export function listenOnPipe(server: Server, path: string, what: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onError = (e: NodeJS.ErrnoException): void => reject(e.code === 'EADDRINUSE' || e.code === 'EACCES' ? new PipeInUseError(path, what) : e);
    server.once('error', onError);
    server.listen(path, () => {
      server.off('error', onError);
      resolve();
    });
  });
}
