// The optional /var/run/docker.sock symlink to Berth's Docker socket (macOS; any unix): made only when
// the user asks (`berth docker-socket --system`), never over a socket, file or link that is not Berth's
// (T-14), and undone on request (`--remove`). A pure decision from what is at the path, and its runner.
import { lstatSync, readlinkSync, symlinkSync, unlinkSync } from 'node:fs';
import { isAbsolute } from 'node:path';

export const SYSTEM_DOCKER_SOCKET = '/var/run/docker.sock';

/** What is at the system path now. */
export type PathFacts = { kind: 'absent' } | { kind: 'symlink'; target: string } | { kind: 'socket' } | { kind: 'other' };
export type SocketLinkAction = 'link' | 'remove';
export type SocketLinkDecision =
  | { do: 'create' | 'remove' | 'nothing'; message: string }
  | { do: 'refuse'; message: string; hint: string };

const USE_CONTEXT = 'Berth keeps serving Docker on its own socket: use `docker context use berth` or DOCKER_HOST';

/** What to do at `system` for `action`, given what is there and Berth's own socket `ours` (pure). */
export function decideSystemSocket(action: SocketLinkAction, at: PathFacts, ours: string, system = SYSTEM_DOCKER_SOCKET): SocketLinkDecision {
  const foreign = (what: string): SocketLinkDecision => ({
    do: 'refuse',
    message: `${system} is ${what}, not Berth's: Berth leaves it alone`,
    hint: action === 'link' ? `${USE_CONTEXT}; to hand ${system} to Berth, stop that engine and remove it yourself first` : `nothing of Berth's to remove there; ${USE_CONTEXT}`,
  });
  if (at.kind === 'symlink' && at.target === ours) {
    return action === 'link' ? { do: 'nothing', message: `${system} already points at Berth's socket ${ours}` } : { do: 'remove', message: `removed ${system} (it pointed at Berth's socket ${ours})` };
  }
  if (at.kind === 'absent') {
    return action === 'link' ? { do: 'create', message: `${system} now points at Berth's socket ${ours}; tools that only know ${system} reach Berth` } : { do: 'nothing', message: `${system} does not exist: nothing to remove` };
  }
  if (at.kind === 'symlink') return foreign(`a link to ${at.target} (another Docker engine's)`);
  if (at.kind === 'socket') return foreign("another Docker engine's socket");
  return foreign('a file that is not a socket');
}

export function inspectPath(path: string): PathFacts {
  let st;
  try {
    st = lstatSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'absent' };
    throw e;
  }
  if (st.isSymbolicLink()) return { kind: 'symlink', target: readlinkSync(path) };
  if (st.isSocket()) return { kind: 'socket' };
  return { kind: 'other' };
}

export type SocketLinkResult = { ok: true; did: 'created' | 'removed' | 'nothing'; message: string } | { ok: false; message: string; hint: string };

const needsAdmin = (e: unknown): boolean => ['EACCES', 'EPERM'].includes((e as NodeJS.ErrnoException).code ?? '');

/**
 * Do it. The link is made with symlink(2), which fails if anything appeared meanwhile (then decided
 * again); a removal reads the link again just before unlinking. `sudoHint` is the command to offer
 * when the system folder needs an administrator.
 */
export function applySystemSocket(action: SocketLinkAction, ours: string, o: { system?: string; sudoHint?: string } = {}): SocketLinkResult {
  const system = o.system ?? SYSTEM_DOCKER_SOCKET;
  if (!isAbsolute(ours)) return { ok: false, message: `Berth's socket path ${JSON.stringify(ours)} is not absolute`, hint: 'give the full path of Berth\'s docker.sock' };
  const admin = { ok: false as const, message: `changing ${system} needs an administrator`, hint: o.sudoHint ?? `run the same command with sudo` };
  for (let attempt = 0; attempt < 2; attempt++) {
    const d = decideSystemSocket(action, inspectPath(system), ours, system);
    if (d.do === 'refuse') return { ok: false, message: d.message, hint: d.hint };
    if (d.do === 'nothing') return { ok: true, did: 'nothing', message: d.message };
    try {
      if (d.do === 'create') {
        symlinkSync(ours, system);
        return { ok: true, did: 'created', message: d.message };
      }
      const now = inspectPath(system);
      if (now.kind !== 'symlink' || now.target !== ours) continue; // changed under us: decide again
      unlinkSync(system);
      return { ok: true, did: 'removed', message: d.message };
    } catch (e) {
      if (needsAdmin(e)) return admin;
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue; // something appeared: decide again
      throw e;
    }
  }
  return { ok: false, message: `${system} kept changing while Berth looked at it`, hint: 'try again once other Docker tools have finished starting' };
}
