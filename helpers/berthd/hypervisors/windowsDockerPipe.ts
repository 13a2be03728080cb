// The Docker endpoint on Windows (T-02, T-14): Node cannot give a named pipe a DACL, so the public pipes
// — \\.\pipe\berth_docker, and docker_engine only if it is free and the user asked — are served by
// hvsock-bridge (this user, SYSTEM and Administrators only; remote clients refused), each connection
// dialled on to berthd's private pipe, which the bridge checks berthd itself serves. berthd keeps the
// bind-mount guard on that private pipe. A pure plan, and the runner of its bridge processes.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { killOnExit } from '../host/childReaper.ts';
import { bridgeArgv, type BridgeEndpoint } from './hvsockBridgeArgs.ts';

export const BERTH_DOCKER_PIPE = '\\\\.\\pipe\\berth_docker';
export const DOCKER_ENGINE_PIPE = '\\\\.\\pipe\\docker_engine';

/** Whether Berth also serves docker_engine (Docker's default pipe): only when the user asked and nothing answers there. */
export function dockerEngineDecision(o: { asked: boolean; answers: boolean }): { serve: boolean; why: string } {
  if (!o.asked) return { serve: false, why: `${DOCKER_ENGINE_PIPE} is left alone (not asked for); docker reaches Berth through the berth context` };
  if (o.answers) return { serve: false, why: `another Docker engine serves ${DOCKER_ENGINE_PIPE}: Berth leaves it alone and serves ${BERTH_DOCKER_PIPE} (docker context berth)` };
  return { serve: true, why: `${DOCKER_ENGINE_PIPE} was free and asked for: Berth serves it too` };
}

/** berthd's own pipe: a fresh unguessable name each time (libuv creates it first-instance, so it cannot be pre-squatted). */
export function privateDockerPipe(random: Buffer = randomBytes(16)): string {
  return `\\\\.\\pipe\\berth-docker-${random.toString('hex')}`;
}

export type DockerPipePlan = { private: BridgeEndpoint; bridges: { public: BridgeEndpoint; argv: string[] }[] };

/** The bridges for the public pipes, each dialling berthd's private pipe served by `berthdPid`. */
export function dockerPipePlan(o: { privatePipe: string; berthdPid: number; engine: { serve: boolean } }): DockerPipePlan {
  const priv: BridgeEndpoint = { kind: 'pipe', path: o.privatePipe };
  const publics = [BERTH_DOCKER_PIPE, ...(o.engine.serve ? [DOCKER_ENGINE_PIPE] : [])];
  return {
    private: priv,
    bridges: publics.map((path) => {
      const pub: BridgeEndpoint = { kind: 'pipe', path };
      return { public: pub, argv: bridgeArgv({ listen: pub, dial: priv, serverPid: o.berthdPid }) };
    }),
  };
}

/** Runs one hvsock-bridge per public endpoint; stop() ends them. Their stderr goes to `log`. */
export class DockerPipeBridges {
  private readonly children: ChildProcess[] = [];

  constructor(
    readonly binary: string,
    private readonly log: (m: string) => void,
  ) {}

  start(argvs: string[][]): void {
    for (const argv of argvs) {
      const child = spawn(this.binary, argv, { stdio: ['ignore', 'ignore', 'pipe'], windowsHide: true });
      killOnExit(child);
      child.stderr?.on('data', (d) => this.log(`docker pipe bridge: ${String(d).trim()}`));
      child.on('error', (e) => this.log(`the Docker pipe bridge could not start (${e.message})`));
      this.children.push(child);
    }
  }

  /** Resolves once every bridge has exited. */
  async stop(): Promise<void> {
    await Promise.all(
      this.children.splice(0).map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill();
          }),
      ),
    );
  }
}
