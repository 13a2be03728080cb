// Owns: berthd's dockerode client on its own forwarded Docker socket — listing containers, images and
// volumes in the API's shapes, the container/image/volume actions answered in plain words, inspect.
import type Docker from 'dockerode';
import { dockerOnSocket } from './dockerOnSocket.ts';
import type { ContainerSummary, ImageSummary, VolumeSummary } from '../../api/docker.ts';
import { dockerHttpError, isNotModified, type DockerDoing } from './dockerErrors.ts';
import { mapContainers, mapImages, mapVolumes, type DockerDiskUsage } from './dockerMapping.ts';

export type ContainerAction = 'start' | 'stop' | 'restart' | 'remove' | 'pause' | 'unpause' | 'kill';

/** A long id reads as its first 12 characters, as the docker CLI shows it. */
export function shortRef(ref: string): string {
  return /^(sha256:)?[0-9a-f]{64}$/.test(ref) ? ref.replace(/^sha256:/, '').slice(0, 12) : ref;
}

const done: Record<ContainerAction, string> = { start: 'started', stop: 'stopped', restart: 'restarted', remove: 'removed', pause: 'paused', unpause: 'unpaused', kill: 'killed' };

export class DockerResources {
  readonly docker: Docker;

  constructor(socketPath: string) {
    this.docker = dockerOnSocket(socketPath);
  }

  private async call<T>(doing: DockerDoing, run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (e) {
      throw dockerHttpError(e, doing);
    }
  }

  async containers(): Promise<ContainerSummary[]> {
    return mapContainers(await this.call({ kind: 'docker', action: 'list containers' }, () => this.docker.listContainers({ all: true })));
  }

  async images(): Promise<ImageSummary[]> {
    const [images, containers] = await this.call({ kind: 'docker', action: 'list images' }, () => Promise.all([this.docker.listImages(), this.docker.listContainers({ all: true })]));
    return mapImages(images, containers);
  }

  /** Volumes with their sizes from `system df`; without it (it failed or took too long) sizes are -1. */
  async volumes(): Promise<VolumeSummary[]> {
    const [list, df] = await Promise.all([
      this.call({ kind: 'docker', action: 'list volumes' }, () => this.docker.listVolumes()),
      (this.docker.df() as Promise<DockerDiskUsage>).catch(() => undefined),
    ]);
    return mapVolumes(list.Volumes, df);
  }

  async containerAction(id: string, action: ContainerAction, force: boolean): Promise<{ message: string }> {
    const c = this.docker.getContainer(id);
    const name = shortRef(id);
    try {
      if (action === 'start') await c.start();
      else if (action === 'stop') await c.stop();
      else if (action === 'restart') await c.restart();
      else if (action === 'remove') await c.remove({ force });
      else if (action === 'pause') await c.pause();
      else if (action === 'unpause') await c.unpause();
      else await c.kill();
    } catch (e) {
      if (isNotModified(e)) return { message: `${name} was already ${action === 'start' ? 'running' : 'stopped'}` };
      throw dockerHttpError(e, { kind: 'container', ref: name, action });
    }
    return { message: `${name} ${done[action]}` };
  }

  async inspectContainer(id: string): Promise<Record<string, unknown>> {
    return (await this.call({ kind: 'container', ref: shortRef(id), action: 'inspect' }, () => this.docker.getContainer(id).inspect())) as unknown as Record<string, unknown>;
  }

  async removeImage(id: string, force: boolean): Promise<{ message: string }> {
    const name = shortRef(id);
    const result = (await this.call({ kind: 'image', ref: name, action: 'remove' }, () => this.docker.getImage(id).remove({ force }))) as { Untagged?: string; Deleted?: string }[] | undefined;
    return { message: imageRemovedMessage(name, result ?? []) };
  }

  async removeVolume(name: string, force: boolean): Promise<{ message: string }> {
    await this.call({ kind: 'volume', ref: name, action: 'remove' }, () => this.docker.getVolume(name).remove({ force }));
    return { message: `volume ${name} removed` };
  }
}

/** "berth-test/other:v2 untagged; the image stays …" or "image x removed (untagged a:1, b:2)". */
export function imageRemovedMessage(name: string, result: { Untagged?: string; Deleted?: string }[]): string {
  const untagged = result.flatMap((r) => (r.Untagged ? [r.Untagged] : []));
  if (!result.some((r) => r.Deleted)) return `${untagged.join(', ') || name} untagged; the image stays because other tags still name it`;
  return `image ${name} removed${untagged.length ? ` (untagged ${untagged.join(', ')})` : ''}`;
}
