// Owns: berthd's Docker-facing control API — the route and stream handlers for containers, images,
// volumes and log tails, and the events watcher and stats sampler that run while the VM runs.
import type { ApiEvent } from '../../api/controlApi.ts';
import type { VmState } from '../../api/vmState.ts';
import { streamContainerLogs } from '../docker/containerLogStream.ts';
import { DockerEventsWatcher } from '../docker/dockerEventsWatcher.ts';
import { DockerResources, type ContainerAction } from '../docker/dockerResources.ts';
import { streamImagePull } from '../docker/imagePullStream.ts';
import { VmStatsSampler, type AgentVmStats } from '../docker/vmStatsSampler.ts';
import { logTail, type LogSource } from '../diagnostics/logTail.ts';
import type { BerthPaths } from '../paths.ts';
import type { VmManager } from '../vm/vmManager.ts';
import { HttpError, type ControlHandlers, type ControlStreamHandlers } from './controlServer.ts';

type DockerRoute = 'containers' | 'containerAction' | 'containerInspect' | 'images' | 'imageRemove' | 'volumes' | 'volumeRemove' | 'logTail';

export type DockerHandlersDeps = {
  paths: Pick<BerthPaths, 'dockerSocket' | 'berthdLog' | 'consoleLog'>;
  manager: Pick<VmManager, 'state' | 'rpc' | 'openGuestStream' | 'on' | 'off'>;
  publish: (e: ApiEvent) => void;
  log: (m: string) => void;
};

export type DockerHandlers = {
  routes: Pick<ControlHandlers, DockerRoute>;
  streams: ControlStreamHandlers;
  /** The current lists and stats, for a new event subscriber (nothing while the VM is not running). */
  initialEvents: () => ApiEvent[];
  stop: () => void;
};

export function dockerHandlers(deps: DockerHandlersDeps): DockerHandlers {
  const { manager, paths, log } = deps;
  const docker = new DockerResources(paths.dockerSocket);
  const running = (): boolean => manager.state.state === 'running';
  /** Docker's answer once the VM runs; a 409 saying to start it otherwise. */
  const whenRunning = <T>(run: () => Promise<T>): Promise<T> => {
    if (!running()) return Promise.reject(new HttpError(409, { code: 'not-running', message: 'the VM is not running, so neither is Docker', hint: 'start the VM (berth start, or Start in the app), then try again' }));
    return run();
  };
  const watcher = new DockerEventsWatcher({
    docker: () => docker.docker,
    list: { containers: () => docker.containers(), images: () => docker.images(), volumes: () => docker.volumes() },
    publish: deps.publish,
    log,
  });
  const sampler = new VmStatsSampler({
    sample: () => manager.rpc()?.call<AgentVmStats>('vm.stats', {}, 5000),
    publish: (stats) => deps.publish({ type: 'stats', stats }),
    log,
  });
  const follow = (vm: VmState): void => {
    if (vm.state === 'running') {
      watcher.start();
      sampler.start();
    } else {
      watcher.stop();
      sampler.stop();
    }
  };
  manager.on('state', follow);
  follow(manager.state);

  const routes: Pick<ControlHandlers, DockerRoute> = {
    containers: () => whenRunning(async () => ({ containers: await docker.containers() })),
    containerAction: (body) => {
      const { id, action, force } = body as { id: string; action: ContainerAction; force: boolean };
      return whenRunning(() => docker.containerAction(id, action, force));
    },
    containerInspect: (body) => whenRunning(async () => ({ inspect: await docker.inspectContainer((body as { id: string }).id) })),
    images: () => whenRunning(async () => ({ images: await docker.images() })),
    imageRemove: (body) => {
      const { id, force } = body as { id: string; force: boolean };
      return whenRunning(() => docker.removeImage(id, force));
    },
    volumes: () => whenRunning(async () => ({ volumes: await docker.volumes() })),
    volumeRemove: (body) => {
      const { name, force } = body as { name: string; force: boolean };
      return whenRunning(() => docker.removeVolume(name, force));
    },
    logTail: async (body) => {
      const { source, lines } = body as { source: LogSource; lines: number };
      return logTail({ berthdLog: paths.berthdLog, consoleLog: paths.consoleLog, vmRunning: running, openExec: () => manager.openGuestStream('exec') }, source, lines);
    },
  };
  const streams: ControlStreamHandlers = {
    containerLogs: (body, ctx) => whenRunning(() => streamContainerLogs(docker.docker, body, ctx)),
    imagePull: (body, ctx) => whenRunning(() => streamImagePull(docker.docker, body.ref, ctx)),
  };
  return {
    routes,
    streams,
    initialEvents: () => {
      if (!running()) return [];
      const stats = sampler.latest;
      return [...watcher.current(), ...(stats ? [{ type: 'stats' as const, stats }] : [])];
    },
    stop: () => {
      manager.off('state', follow);
      watcher.stop();
      sampler.stop();
    },
  };
}
