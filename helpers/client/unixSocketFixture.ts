// Owns: the test set-up the client suites share — a temp dir of unix socket paths for fake berthd
// servers (plain, or HTTP reading each body), closed after each test; the dir removed after the file.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll } from 'vitest';

export type UnixSockets = {
  /** `<dir>/<name>.sock`: a socket path in the temp dir for the test's own use (nothing listens on it). */
  path: (name: string) => string;
  /** Listens on a new socket path; the server is closed, connections and all, after the test. */
  listen: (server: Server) => Promise<string>;
  /** An HTTP server on a new socket path that reads each request's body (UTF-8) before `onRequest` answers it. */
  serveHttp: (onRequest: (req: IncomingMessage, res: ServerResponse, body: string) => void) => Promise<string>;
};

/** Registers the file's hooks (call at the top of a test file); `prefix` names the temp dir. */
export function useUnixSockets(prefix: string): UnixSockets {
  let dir: string;
  let n = 0;
  const servers: Server[] = [];
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const path = (name: string): string => join(dir, `${name}.sock`);
  const listen = async (server: Server): Promise<string> => {
    const p = path(`server-${n++}`);
    servers.push(server);
    await new Promise<void>((r) => server.listen(p, r));
    return p;
  };
  const serveHttp: UnixSockets['serveHttp'] = (onRequest) =>
    listen(
      createServer((req, res) => {
        let body = '';
        req.setEncoding('utf8');
        req.on('data', (d: string) => (body += d));
        req.on('end', () => onRequest(req, res, body));
      }),
    );
  return { path, listen, serveHttp };
}
