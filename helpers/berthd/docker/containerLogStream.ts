// Owns: the containerLogs streamed call — Docker's log endpoint (follow, tail, timestamps) read through
// DockerLogDecoder as lines, paced by the client, and dropped when the client goes away.
import { Readable } from 'node:stream';
import type Docker from 'dockerode';
import type { LogLine } from '../../api/docker.ts';
import type { StreamContext } from '../control/controlServer.ts';
import { dockerHttpError } from './dockerErrors.ts';
import { shortRef } from './dockerResources.ts';
import { DockerLogDecoder } from './logLineDecoder.ts';

export type ContainerLogsRequest = { id: string; follow: boolean; tail: number; timestamps: boolean };

/** Copy a byte stream into the decoder until it ends, pausing while the client is behind; resolves at its end or at cancel. */
export function pumpLogs(source: NodeJS.ReadableStream, decoder: { push(b: Buffer): void; end(): void }, ctx: Pick<StreamContext<LogLine>, 'signal' | 'drained'>, behind: () => boolean): Promise<void> {
  return new Promise((resolve, reject) => {
    const stop = (): void => {
      (source as NodeJS.ReadableStream & { destroy?: () => void }).destroy?.();
      resolve();
    };
    if (ctx.signal.aborted) return stop();
    ctx.signal.addEventListener('abort', stop, { once: true });
    source.on('data', (chunk: Buffer | string) => {
      decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
      if (behind()) {
        source.pause();
        void ctx.drained().then(() => source.resume());
      }
    });
    source.on('end', () => {
      ctx.signal.removeEventListener('abort', stop);
      decoder.end();
      resolve();
    });
    source.on('error', (e: Error) => {
      ctx.signal.removeEventListener('abort', stop);
      if (ctx.signal.aborted) return resolve();
      reject(e);
    });
  });
}

export async function streamContainerLogs(docker: Docker, req: ContainerLogsRequest, ctx: StreamContext<LogLine>): Promise<void> {
  const name = shortRef(req.id);
  const container = docker.getContainer(req.id);
  let tty: boolean;
  let source: NodeJS.ReadableStream;
  try {
    // The log is framed (stdout/stderr) unless the container has a TTY: ask which before reading it.
    tty = Boolean((await container.inspect()).Config?.Tty);
    const opts = { stdout: true, stderr: true, tail: req.tail, timestamps: req.timestamps };
    source = req.follow ? await container.logs({ ...opts, follow: true }) : Readable.from([await container.logs({ ...opts, follow: false })]);
  } catch (e) {
    throw dockerHttpError(e, { kind: 'container', ref: name, action: 'read the logs of' });
  }
  let behind = false;
  const decoder = new DockerLogDecoder(tty, (line) => {
    if (!ctx.emit(line)) behind = true;
  });
  try {
    await pumpLogs(source, decoder, ctx, () => {
      const was = behind;
      behind = false;
      return was;
    });
  } catch (e) {
    throw dockerHttpError(e, { kind: 'container', ref: name, action: 'read the logs of' });
  }
}
