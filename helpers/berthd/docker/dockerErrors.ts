// Owns: turning a failed Docker call (dockerode's error: HTTP status + Docker's message, or a broken
// connection) into the control API's HttpError with {code, message, hint} that say what to do next.
import { HttpError } from '../control/controlServer.ts';

/** What was being done, for the words of the error. */
export type DockerDoing = {
  kind: 'container' | 'image' | 'volume' | 'docker';
  /** The id or name the user gave. */
  ref?: string;
  /** The action: start, stop, remove, pull, logs, list … */
  action: string;
};

type DockerodeError = Error & { statusCode?: number; json?: unknown; reason?: string; code?: string };

/** Docker's own message: the `message` of its JSON body, else the text after dockerode's "(HTTP code N) reason - ". */
export function dockerMessage(e: unknown): string {
  const err = e as DockerodeError;
  const json = err.json as { message?: unknown } | null | undefined;
  if (json && typeof json === 'object' && typeof json.message === 'string' && json.message.trim()) return json.message.trim();
  const text = String(err.message ?? e);
  const m = /^\(HTTP code \d+\) [^-]*- ([\s\S]*)$/.exec(text);
  return (m ? m[1]! : text).trim() || `Docker answered ${err.statusCode ?? 'with an error'}`;
}

const CONNECTION_CODES = new Set(['ECONNREFUSED', 'ENOENT', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT']);

/** The hint for a 409 from Docker, by what was being done and what Docker said. */
function conflictHint(doing: DockerDoing, message: string): string {
  const what = doing.ref ?? doing.kind;
  if (doing.kind === 'container') {
    if (doing.action === 'remove') return `remove it with force or stop it first (stop ${what}, then remove it)`;
    if (/is not running/i.test(message)) return `start ${what} first`;
    if (/is not paused/i.test(message)) return `${what} is not paused: refresh the list and try again`;
    if (/is paused/i.test(message)) return `unpause ${what} first`;
    return 'refresh the list and try again';
  }
  if (doing.kind === 'image') {
    if (/running container/i.test(message)) return 'stop and remove the containers that use it first (docker ps -a lists them)';
    return 'remove the containers that use it first (docker ps -a lists them), or remove it with force';
  }
  if (doing.kind === 'volume') return `remove the containers that use it first (docker ps -a --filter volume=${what} lists them)`;
  return 'refresh and try again';
}

function notFound(doing: DockerDoing): { message: string; hint: string } {
  const what = doing.ref ?? '';
  if (doing.kind === 'container') return { message: `there is no container ${what}`, hint: 'it may have been removed already; refresh the list (docker ps -a shows every container)' };
  if (doing.kind === 'image') return { message: `there is no image ${what}`, hint: 'it may have been removed already; refresh the list (docker images shows them)' };
  if (doing.kind === 'volume') return { message: `there is no volume ${what}`, hint: 'it may have been removed already; refresh the list (docker volume ls shows them)' };
  return { message: 'Docker does not know it', hint: 'refresh and try again' };
}

/** The HttpError for a failed Docker call. */
export function dockerHttpError(e: unknown, doing: DockerDoing): HttpError {
  if (e instanceof HttpError) return e;
  const err = e as DockerodeError;
  const what = `${doing.action}${doing.ref ? ` ${doing.ref}` : ''}`;
  if (err.statusCode === undefined) {
    const connection = (err.code && CONNECTION_CODES.has(err.code)) || /socket hang up|connect E/i.test(err.message ?? '');
    if (connection)
      return new HttpError(503, {
        code: 'docker-unreachable',
        message: `Docker in the VM did not answer (${doing.action}): ${err.message}`,
        hint: 'wait a moment if the VM is starting; otherwise restart it (berth restart)',
      });
    return new HttpError(500, { code: 'docker-failed', message: `${what} failed: ${err.message ?? String(e)}`, hint: 'see the docker log (berth logs docker)' });
  }
  const message = dockerMessage(e);
  if (err.statusCode === 404) return new HttpError(404, { code: 'not-found', ...notFound(doing) });
  // Docker 20.10 answers 500 to unpausing a container that is not paused (and pausing one that is): a conflict too.
  if (err.statusCode === 409 || (err.statusCode === 500 && /is (not )?(running|paused)/i.test(message))) {
    return new HttpError(409, { code: 'conflict', message: `cannot ${what}: ${message}`, hint: conflictHint(doing, message) });
  }
  if (err.statusCode === 400) return new HttpError(400, { code: 'docker-bad-request', message: `Docker refused to ${what}: ${message}`, hint: 'check the name or reference and try again' });
  return new HttpError(502, { code: 'docker-error', message: `${what} failed in Docker: ${message}`, hint: 'see the docker log (berth logs docker), then try again' });
}

/** Docker answers 304 when a container already is in the asked-for state (start a running one, stop a stopped one). */
export function isNotModified(e: unknown): boolean {
  return (e as DockerodeError).statusCode === 304;
}
