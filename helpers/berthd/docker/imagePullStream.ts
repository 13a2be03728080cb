// Owns: the imagePull streamed call — Docker's pull progress messages as pullProgress items (layer,
// status, bytes), and a failed pull said as what failed plus what to check (network, proxy, name).
import type Docker from 'dockerode';
import type { PullProgress } from '../../api/docker.ts';
import { HttpError, type StreamContext } from '../control/controlServer.ts';
import { jsonLines } from '../ports/dockerPortWatcher.ts';
import { dockerMessage } from './dockerErrors.ts';

/** One JSON message of Docker's pull stream (moby's jsonmessage). */
export type DockerPullMessage = {
  status?: string;
  id?: string;
  progressDetail?: { current?: number; total?: number };
  progress?: string;
  error?: string;
  errorDetail?: { message?: string };
};

/** The item for one progress message; undefined for a message without a status (an error is handled apart). */
export function pullProgressItem(m: DockerPullMessage): PullProgress | undefined {
  if (typeof m.status !== 'string') return undefined;
  // "Pulling from library/busybox" carries the tag as its id: it is about the whole pull, not a layer.
  const layer = m.id && !m.status.startsWith('Pulling from') ? m.id : undefined;
  const d = m.progressDetail ?? {};
  return {
    ...(layer ? { layer } : {}),
    status: m.id && !layer ? `${m.status} (${m.id})` : m.status,
    ...(typeof d.current === 'number' ? { current: d.current } : {}),
    ...(typeof d.total === 'number' && d.total > 0 ? { total: d.total } : {}),
  };
}

const NETWORK_TROUBLE = /dial tcp|no such host|connection refused|i\/o timeout|timeout|network is unreachable|proxyconnect|tls:|x509|EOF|connection reset/i;
const NAME_TROUBLE = /not found|manifest unknown|repository does not exist|pull access denied|invalid reference|unauthorized/i;

/** The error a failed pull ends with: Docker's words for what failed, and what to check next. */
export function pullFailure(ref: string, message: string): HttpError {
  const hint = NETWORK_TROUBLE.test(message)
    ? 'the VM could not reach the registry: check the network and the proxy settings (Settings → Docker Engine → proxy), then pull again'
    : NAME_TROUBLE.test(message)
      ? 'check the image name and tag (and run `docker login` first for a private registry), and the network and proxy settings'
      : 'check the network and the proxy settings (Settings → Docker Engine → proxy) and the image name, then pull again';
  return new HttpError(502, { code: 'pull-failed', message: `pulling ${ref} failed: ${message}`, hint });
}

export async function streamImagePull(docker: Docker, ref: string, ctx: StreamContext<PullProgress>): Promise<void> {
  let source: NodeJS.ReadableStream;
  try {
    source = await docker.pull(ref);
  } catch (e) {
    throw pullFailure(ref, dockerMessage(e));
  }
  await new Promise<void>((resolve, reject) => {
    let failed: HttpError | undefined;
    const stop = (): void => {
      // Docker stops the pull when its client goes away.
      (source as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      resolve();
    };
    if (ctx.signal.aborted) return stop();
    ctx.signal.addEventListener('abort', stop, { once: true });
    const feed = jsonLines((o) => {
      const m = o as DockerPullMessage;
      if (m.error || m.errorDetail) {
        failed ??= pullFailure(ref, m.errorDetail?.message ?? m.error ?? 'Docker reported an error');
        return;
      }
      const item = pullProgressItem(m);
      if (item && !ctx.emit(item)) {
        source.pause();
        void ctx.drained().then(() => source.resume());
      }
    });
    source.on('data', feed);
    source.on('end', () => {
      ctx.signal.removeEventListener('abort', stop);
      if (failed) reject(failed);
      else resolve();
    });
    source.on('error', (e: Error) => {
      ctx.signal.removeEventListener('abort', stop);
      if (ctx.signal.aborted) return resolve();
      reject(failed ?? pullFailure(ref, e.message));
    });
  });
}
