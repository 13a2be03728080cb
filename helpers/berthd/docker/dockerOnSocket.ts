// Owns: the one way berthd makes a dockerode client — on Berth's own unix socket, whatever DOCKER_HOST
// (a remote engine the user set for their shell) says in berthd's environment.
import Docker from 'dockerode';

/**
 * dockerode on this unix socket whatever berthd's environment says: docker-modem merges a tcp:// or ssh://
 * DOCKER_HOST (host, port, protocol, TLS files, path prefix) over the options, and its host wins over
 * `socketPath` — so each of those is set here.
 */
export function dockerOnSocket(socketPath: string): Docker {
  const options: Docker.DockerOptions & { pathPrefix?: string } = { socketPath, host: undefined, port: undefined, protocol: 'http', username: undefined, ca: undefined, cert: undefined, key: undefined, pathPrefix: undefined };
  return new Docker(options);
}
