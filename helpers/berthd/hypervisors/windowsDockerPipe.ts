// The Docker endpoint on Windows (T-02, T-14): Node cannot give a named pipe a DACL, so the public pipes
// — \\.\pipe\berth_docker, and docker_engine only if it is free and the user asked — are served by
// hvsock-bridge (this user, SYSTEM and Administrators only; remote clients refused), each connection
// dialled on to berthd's private pipe, which the bridge checks berthd itself serves. berthd keeps the
// bind-mount guard on that private pipe. A pure plan, and the runner of its bridge processes (supervised: T-26).
import { randomBytes } from 'node:crypto';
import { SupervisedProcess } from '../host/supervisedProcess.ts';
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

/** hvsock-bridge's flag to stop when berthd's end of its stdin closes (SupervisedOptions.stdinLifeline). */
export const EXIT_WITH_BERTHD = '-exit-on-stdin-eof';

/** The public endpoint a bridge's argv listens on, as hvsock-bridge prints it (`pipe:\\.\pipe\berth_docker`). */
export function listenOf(argv: string[]): string {
  return argv[argv.indexOf('-listen') + 1] ?? '';
}

/**
 * Runs one hvsock-bridge per public endpoint, each supervised (T-26): a bridge that exits while the VM
 * runs is started again with the same argv, and `onTrouble` says so until it listens again. stop() ends
 * the supervision first, then the bridges by PID. Their stderr goes to `log`.
 */
export class DockerPipeBridges {
  private readonly bridges: SupervisedProcess[] = [];

  constructor(
    readonly binary: string,
    private readonly log: (m: string) => void,
    private readonly onTrouble?: (bridge: string, why: string | undefined) => void,
  ) {}

  /** Start them; resolves once each says it listens, rejects with the first one's failure (why, from its stderr). */
  async start(argvs: string[][], readyTimeoutMs?: number): Promise<void> {
    const started = argvs.map((argv) => {
      const listen = listenOf(argv);
      const name = `hvsock-bridge for ${listen.replace(/^pipe:/, '')}`;
      const p = new SupervisedProcess({
        name,
        binary: this.binary,
        // It ends with berthd (also a killed one): a new berthd then serves the pipe itself.
        argv: [...argv, EXIT_WITH_BERTHD],
        stdinLifeline: true,
        log: this.log,
        onLine: (line) => this.log(`docker pipe bridge: ${line}`),
        readyLine: (line) => line.startsWith(`hvsock-bridge: ${listen} -> `),
        onTrouble: (why) => this.onTrouble?.(name, why),
        readyTimeoutMs,
      });
      this.bridges.push(p);
      return p.start();
    });
    await Promise.all(started);
  }

  /** The pids of the bridges running now. */
  get pids(): number[] {
    return this.bridges.map((b) => b.pid).filter((p): p is number => p !== undefined);
  }

  /** Resolves once every bridge has exited; none is restarted after this began. */
  async stop(): Promise<void> {
    await Promise.all(this.bridges.splice(0).map((b) => b.stop()));
  }
}
