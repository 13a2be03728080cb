// Owns: what the host-shell terminal runs — the user's shell ($SHELL, else bash, else sh), where
// (their home) and with which environment (Docker pointed at Berth's socket, no other context).
import { accessSync, constants, statSync } from 'node:fs';
import { basename } from 'node:path';
import { dockerHostUrl } from '../control/hostEndpoints.ts';

export type HostShellPlan = { file: string; args: string[]; cwd: string; env: Record<string, string>; title: string };

/** Variables of berthd's own terminal that would mislead a shell in a new one (as node-pty drops them). */
const DROPPED = ['DOCKER_CONTEXT', 'TMUX', 'TMUX_PANE', 'STY', 'WINDOW', 'WINDOWID', 'TERMCAP', 'COLUMNS', 'LINES'];

export function isExecutableFile(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** The user's shell: an absolute, executable $SHELL; else /bin/bash; else /bin/sh. */
export function chooseHostShell(env: NodeJS.ProcessEnv, isExecutable: (path: string) => boolean = isExecutableFile): string {
  const own = env.SHELL;
  if (own && own.startsWith('/') && isExecutable(own)) return own;
  return isExecutable('/bin/bash') ? '/bin/bash' : '/bin/sh';
}

/** The shell's environment: berthd's, with DOCKER_HOST on Berth and a 256-colour TERM. */
export function hostShellEnv(base: NodeJS.ProcessEnv, dockerSocket: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base)) if (v !== undefined && !DROPPED.includes(k)) env[k] = v;
  env.DOCKER_HOST = dockerHostUrl(dockerSocket);
  env.TERM = 'xterm-256color';
  env.COLORTERM = 'truecolor';
  return env;
}

export function hostShellPlan(base: NodeJS.ProcessEnv, dockerSocket: string, home: string, isExecutable: (path: string) => boolean = isExecutableFile): HostShellPlan {
  const file = chooseHostShell(base, isExecutable);
  return { file, args: [], cwd: home, env: hostShellEnv(base, dockerSocket), title: `${basename(file)} on this machine` };
}
