// Keeps a docker CLI context named `berth` pointing at Berth's socket (npipe:////./pipe/berth_docker on
// Windows). It never switches the user's current context: `docker context use berth` (or DOCKER_HOST) is the user's choice.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { dockerHostUrl } from '../control/hostEndpoints.ts';

const execFileAsync = promisify(execFile);

export const CONTEXT_NAME = 'berth';

export type ContextResult = { ok: true; action: 'created' | 'updated' | 'unchanged' } | { ok: false; message: string };

/** `socketPath`: Berth's Docker endpoint for clients (BerthPaths.dockerSocket): a unix socket or a named pipe. */
export async function ensureDockerContext(socketPath: string, docker = 'docker', env: NodeJS.ProcessEnv = process.env): Promise<ContextResult> {
  const host = dockerHostUrl(socketPath);
  const run = (args: string[]) => execFileAsync(docker, args, { env, timeout: 15_000 });
  let current: string | undefined;
  try {
    const { stdout } = await run(['context', 'inspect', CONTEXT_NAME, '--format', '{{.Endpoints.docker.Host}}']);
    current = stdout.trim();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') return { ok: false, message: 'the docker CLI is not installed, so no `berth` context was created; use DOCKER_HOST instead' };
  }
  try {
    if (current === host) return { ok: true, action: 'unchanged' };
    if (current !== undefined) {
      await run(['context', 'update', CONTEXT_NAME, '--docker', `host=${host}`]);
      return { ok: true, action: 'updated' };
    }
    await run(['context', 'create', CONTEXT_NAME, '--description', 'Berth: Docker Engine in the Berth VM', '--docker', `host=${host}`]);
    return { ok: true, action: 'created' };
  } catch (e) {
    return { ok: false, message: `could not write the docker context \`berth\`: ${(e as Error).message.split('\n')[0]}` };
  }
}
