// The host's Docker endpoint: a unix socket (0600 in a 0700 dir), or on Windows berthd's private named
// pipe, where each client connection becomes one guest-link stream to dockerd, byte for byte, half-close
// included (T-10).
import { chmodSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { listenOnPipe } from './pipeListen.ts';
import { spliceStreams } from './spliceStreams.ts';
import { claimSocketPath } from './unixSocketClaim.ts';

export type StreamOpener = () => Duplex;
/** Joins a client connection to its guest stream; spliceStreams by default, the bind-mount guard in berthd. */
export type ConnectionJoiner = (client: Duplex, stream: Duplex) => void;

export class DockerSocketServer {
  private server: Server | undefined;
  private readonly clients = new Set<Socket>();
  connectionsServed = 0;

  constructor(
    readonly path: string,
    private readonly openStream: StreamOpener,
    private readonly log: (m: string) => void = () => {},
    private readonly join: ConnectionJoiner = (client, stream) => spliceStreams(client, stream, this.log, 'docker'),
    /** The host's platform: win32 serves a named pipe (no file to claim or chmod). */
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  async listen(): Promise<void> {
    if (this.platform === 'win32') {
      const server = createServer({ allowHalfOpen: true }, (client) => this.onClient(client));
      await listenOnPipe(server, this.path, "berthd's private Docker pipe");
      this.server = server;
      return;
    }
    const claimed = await claimSocketPath(this.path);
    if (claimed === 'removed-stale') this.log(`removed a stale socket file at ${this.path}`);
    const server = createServer({ allowHalfOpen: true }, (client) => this.onClient(client));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.path, () => {
        server.off('error', reject);
        resolve();
      });
    });
    chmodSync(this.path, 0o600);
    this.server = server;
  }

  get activeConnections(): number {
    return this.clients.size;
  }

  private onClient(client: Socket): void {
    this.connectionsServed++;
    this.clients.add(client);
    let stream: Duplex;
    try {
      stream = this.openStream();
    } catch (e) {
      this.log(`docker connection refused: ${(e as Error).message}`);
      client.destroy();
      this.clients.delete(client);
      return;
    }
    client.on('close', () => this.clients.delete(client));
    this.join(client, stream);
  }

  /** Stop accepting, end every client connection, remove the socket file. */
  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const c of this.clients) c.destroy();
    this.clients.clear();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }
}
