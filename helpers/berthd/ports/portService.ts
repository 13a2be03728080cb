// Owns: published ports for one running VM — the forwarder and the Docker watcher started when the VM
// is ready and stopped with it (listeners closed), the list for the API, and a refresh on setting changes.
import { EventEmitter } from 'node:events';
import type { Duplex } from 'node:stream';
import { dockerOnSocket } from '../docker/dockerOnSocket.ts';
import type { PortForward } from '../../api/ports.ts';
import type { Settings } from '../../api/settings.ts';
import { DockerPortWatcher } from './dockerPortWatcher.ts';
import { PortForwarder, portTrouble } from './portForwarder.ts';

export type PortServiceDeps = {
  /** A new guest-link stream (`tcp:<port>`). */
  open: (target: string) => Duplex;
  /** Berth's own Docker socket on the host: events and container lists come through it. */
  dockerSocket: string;
  bindAddress: () => Settings['ports']['bindAddress'];
  log: (m: string) => void;
};

export class PortService extends EventEmitter<{ change: [forwards: PortForward[]]; trouble: [message: string | undefined] }> {
  private readonly forwarder: PortForwarder;
  private watcher: DockerPortWatcher | undefined;

  constructor(private readonly deps: PortServiceDeps) {
    super();
    this.forwarder = new PortForwarder({ open: deps.open, log: deps.log });
    this.forwarder.on('change', (forwards: PortForward[]) => {
      this.emit('change', forwards);
      this.emit('trouble', portTrouble(forwards));
    });
  }

  /** The VM is ready: follow Docker's containers and forward their published ports. */
  start(): void {
    this.watcher?.stop();
    const watcher = new DockerPortWatcher({ docker: () => dockerOnSocket(this.deps.dockerSocket), forwarder: this.forwarder, bindAddress: this.deps.bindAddress, log: this.deps.log });
    this.watcher = watcher;
    watcher.start();
  }

  /** The VM stops: no more forwards, every host listener closed. */
  async stop(): Promise<void> {
    this.watcher?.stop();
    this.watcher = undefined;
    await this.forwarder.reconcile([]);
  }

  /** Re-read the containers now (the bind address setting changed). */
  async refresh(): Promise<void> {
    await this.watcher?.refresh();
  }

  list(): PortForward[] {
    return this.forwarder.list();
  }

  async close(): Promise<void> {
    this.watcher?.stop();
    await this.forwarder.close();
  }
}
