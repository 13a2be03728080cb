// Where berthd serves its control API and Docker on this host, and what clients connect to: unix
// sockets on Linux and macOS, named pipes on Windows (pure; the pipe key comes from pipeKeyFile.ts).
import { createHash, randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { BERTH_DOCKER_PIPE, privateDockerPipe } from '../hypervisors/windowsDockerPipe.ts';

export type HostEndpoints = {
  transport: 'unix-socket' | 'named-pipe';
  /** berthd's control API: berthd listens here and every client (CLI, dashboard, Electron) connects here. */
  control: string;
  /** Docker for clients: the docker CLI, dockerode, `berth status`. On Windows the public pipe hvsock-bridge serves. */
  docker: string;
};

/** A per-user key for the control pipe's name: 128 random bits, hex (kept in $BERTH_HOME/run/pipe.key). */
export const PIPE_KEY_RE = /^[0-9a-f]{32}$/;

export function newPipeKey(random: Buffer = randomBytes(16)): string {
  return random.toString('hex');
}

/**
 * The control pipe: `\\.\pipe\berth_control-<32 hex>`, a hash of this user's key and the home. Another
 * user cannot read the key (it lives in this user's BERTH_HOME), so cannot create the pipe before berthd
 * does (T-02, T-13); libuv creates it first-instance, so a squatter is found at listen (EADDRINUSE).
 */
export function controlPipeName(home: string, pipeKey: string): string {
  if (!PIPE_KEY_RE.test(pipeKey)) throw new Error(`the pipe key ${JSON.stringify(pipeKey)} is not 32 hex digits; delete the pipe.key file in BERTH_HOME's run folder and start again`);
  const tag = createHash('sha256').update(pipeKey).update('\0').update(home).digest('hex').slice(0, 32);
  return `\\\\.\\pipe\\berth_control-${tag}`;
}

export function hostEndpoints(o: { platform: NodeJS.Platform; home: string; socketDir: string; pipeKey?: string }): HostEndpoints {
  if (o.platform !== 'win32') {
    return { transport: 'unix-socket', control: posix.join(o.socketDir, 'berth.sock'), docker: posix.join(o.socketDir, 'docker.sock') };
  }
  if (o.pipeKey === undefined) throw new Error('on Windows the control pipe needs the per-user pipe key (pipeKeyFile.ts)');
  return { transport: 'named-pipe', control: controlPipeName(o.home, o.pipeKey), docker: BERTH_DOCKER_PIPE };
}

export function isNamedPipe(endpoint: string): boolean {
  return /^\\\\[.?]\\pipe\\/i.test(endpoint);
}

/** Where berthd's DockerSocketServer listens for the clients' `docker` endpoint: that socket itself on unix; a fresh private pipe behind a public pipe, which hvsock-bridge dials. */
export function dockerServerEndpoint(docker: string, random?: Buffer): string {
  return isNamedPipe(docker) ? privateDockerPipe(random) : docker;
}

/** DOCKER_HOST / docker context form: unix:///path, or npipe:////./pipe/<name> for a Windows pipe. */
export function dockerHostUrl(endpoint: string): string {
  if (!isNamedPipe(endpoint)) return `unix://${endpoint}`;
  const name = endpoint.replace(/^\\\\[.?]\\pipe\\/i, '');
  return `npipe:////./pipe/${name}`;
}

/** The line a user pastes to point one shell at Berth's Docker: POSIX export, or PowerShell on Windows. */
export function dockerHostShellLine(endpoint: string): string {
  const url = dockerHostUrl(endpoint);
  return isNamedPipe(endpoint) ? `$env:DOCKER_HOST = '${url}'` : `export DOCKER_HOST=${url}`;
}
