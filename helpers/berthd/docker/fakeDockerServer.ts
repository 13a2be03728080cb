// Owns: a small fake Docker Engine HTTP server on a unix socket for unit tests (dockerode talks real
// HTTP to it): canned routes by method and path, a record of the requests, open event streams, and
// berthd's DockerResources on it for the resource suites.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DockerResources } from './dockerResources.ts';

export type FakeRoute = (req: IncomingMessage, res: ServerResponse, url: URL) => void;

export class FakeDockerServer {
  readonly socketPath: string;
  readonly requests: { method: string; path: string; query: URLSearchParams }[] = [];
  /** The responses of GET /events still open, oldest first. */
  readonly eventStreams: ServerResponse[] = [];
  private readonly routes = new Map<string, FakeRoute>();
  private readonly dir: string;
  private readonly server: Server;

  constructor() {
    this.dir = mkdtempSync(join(tmpdir(), 'berth-fake-docker-'));
    this.socketPath = join(this.dir, 'docker.sock');
    this.server = createServer((req, res) => {
      const url = new URL(req.url ?? '/', 'http://docker');
      // dockerode may prefix a version (/v1.41/...): route on the path without it.
      const path = url.pathname.replace(/^\/v\d+\.\d+/, '');
      this.requests.push({ method: req.method ?? 'GET', path, query: url.searchParams });
      const route = this.routes.get(`${req.method} ${path}`);
      if (route) return route(req, res, url);
      if (req.method === 'GET' && path === '/events') return this.openEvents(res);
      res.writeHead(404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ message: `page not found: ${req.method} ${path}` }));
    });
  }

  listen(): Promise<void> {
    return new Promise((resolve) => this.server.listen(this.socketPath, () => resolve()));
  }

  /** Answer `method path` with a handler, or JSON with a status. */
  on(method: string, path: string, answer: FakeRoute | { status?: number; json: unknown }): void {
    const route: FakeRoute =
      typeof answer === 'function'
        ? answer
        : (_req, res) => {
            const text = JSON.stringify(answer.json);
            res.writeHead(answer.status ?? 200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
            res.end(text);
          };
    this.routes.set(`${method} ${path}`, route);
  }

  count(method: string, path: string): number {
    return this.requests.filter((r) => r.method === method && r.path === path).length;
  }

  private openEvents(res: ServerResponse): void {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.flushHeaders();
    this.eventStreams.push(res);
    res.on('close', () => {
      const i = this.eventStreams.indexOf(res);
      if (i >= 0) this.eventStreams.splice(i, 1);
    });
  }

  /** Send one event (as Docker does: a JSON object and a newline) on every open events stream. */
  sendEvent(event: object): void {
    for (const s of this.eventStreams) s.write(`${JSON.stringify(event)}\n`);
  }

  /** End the open events streams, as a Docker restart or a broken link would. */
  breakEvents(): void {
    for (const s of this.eventStreams.splice(0)) s.destroy();
  }

  async close(): Promise<void> {
    this.breakEvents();
    this.server.closeAllConnections();
    await new Promise<void>((r) => this.server.close(() => r()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/** A listening fake Docker server and berthd's DockerResources on its socket (close the fake to end both). */
export async function startFakeDocker(): Promise<{ fake: FakeDockerServer; docker: DockerResources }> {
  const fake = new FakeDockerServer();
  await fake.listen();
  return { fake, docker: new DockerResources(fake.socketPath) };
}
