// Serves Docker on this host while the VM runs. Unix: berthd's DockerSocketServer on the clients' socket.
// Windows (T-02): the DockerSocketServer on a fresh private pipe first, then hvsock-bridge serving the
// public pipes (DACL: this user, SYSTEM, Administrators) onto it, each restarted if it dies (T-26); close() ends
// the bridges (supervision first), then the server.
import { dockerEngineDecision, dockerPipePlan, DockerPipeBridges } from '../hypervisors/windowsDockerPipe.ts';
import { hvsockBridgePath } from '../hypervisors/hypervDriver.ts';
import { DockerSocketServer, type ConnectionJoiner, type StreamOpener } from './dockerSocketServer.ts';

export class DockerEndpointError extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

export type HostDockerEndpointOptions = {
  platform?: NodeJS.Platform;
  /** Where berthd's DockerSocketServer listens: the public socket on unix, the private pipe on Windows. */
  serverEndpoint: string;
  openStream: StreamOpener;
  join?: ConnectionJoiner;
  log: (m: string) => void;
  /** Windows: hvsock-bridge's path (default BERTH_HVSOCK_BRIDGE or beside Node). */
  bridgeBinary?: string;
  /** Windows: each bridge's argv (default: dockerPipePlan for \\.\pipe\berth_docker, dialling serverEndpoint served by this pid). */
  bridgeArgvs?: (serverEndpoint: string, berthdPid: number) => string[][];
  /** How long each bridge has to say it listens. */
  bridgeReadyMs?: number;
  /** Windows: a bridge that exited and is being started again (T-26) says why here; undefined once it listens again. */
  helperState?: (helper: string, trouble: string | undefined) => void;
};

const defaultBridgeArgvs = (privatePipe: string, berthdPid: number): string[][] =>
  // docker_engine is never asked for yet: no setting offers it (windowsDockerPipe.ts decides when it may be).
  dockerPipePlan({ privatePipe, berthdPid, engine: dockerEngineDecision({ asked: false, answers: false }) }).bridges.map((b) => b.argv);

export class HostDockerEndpoint {
  readonly server: DockerSocketServer;
  private bridges: DockerPipeBridges | undefined;
  private readonly platform: NodeJS.Platform;

  constructor(private readonly o: HostDockerEndpointOptions) {
    this.platform = o.platform ?? process.platform;
    this.server = new DockerSocketServer(o.serverEndpoint, o.openStream, o.log, o.join, this.platform);
  }

  async listen(): Promise<void> {
    try {
      await this.server.listen();
    } catch (e) {
      const hint = this.platform === 'win32' ? 'stop the program holding the pipe (another Berth or Docker engine), then start again' : "another program holds Berth's Docker socket; stop it or remove the file";
      throw new DockerEndpointError((e as Error).message, hint);
    }
    if (this.platform !== 'win32') return;
    try {
      await this.startBridges();
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  /** Start one supervised hvsock-bridge per public pipe and wait until each says it listens (or why it cannot). */
  private async startBridges(): Promise<void> {
    const binary = this.o.bridgeBinary ?? hvsockBridgePath();
    const argvs = (this.o.bridgeArgvs ?? defaultBridgeArgvs)(this.o.serverEndpoint, process.pid);
    this.bridges = new DockerPipeBridges(binary, this.o.log, this.o.helperState);
    try {
      await this.bridges.start(argvs, this.o.bridgeReadyMs ?? 10_000);
    } catch (e) {
      const m = (e as Error).message;
      const refused = /hvsock-bridge: cannot listen on (\S+): (.*)$/.exec(m);
      if (refused) throw new DockerEndpointError(`Berth cannot serve Docker on ${refused[1]!.replace(/^pipe:/, '')}: ${refused[2]}`, "another Berth (maybe another user's) or program serves that pipe; stop it, then start again");
      if (m.includes('could not start')) throw new DockerEndpointError(`${m} (${binary})`, 'reinstall Berth, or set BERTH_HVSOCK_BRIDGE to the built hvsock-bridge.exe');
      throw new DockerEndpointError(`the Docker pipe bridge did not start listening: ${m}`, `see berthd's log; ${binary} may be damaged: reinstall Berth`);
    }
  }

  /** Windows: the pids of the public pipes' bridges running now (T-26 tests end one by its pid). */
  get bridgePids(): number[] {
    return this.bridges?.pids ?? [];
  }

  /** Stop the public bridges, then berthd's server (its open connections end). */
  async close(): Promise<void> {
    const bridges = this.bridges;
    this.bridges = undefined;
    await bridges?.stop();
    await this.server.close();
  }
}
