// Owns: how the desktop app starts berthd when its socket does not answer — detached under a Node.js
// it finds (so berthd and the VM outlive the app, as with `berth start`), else as the app's utility process.
import { execFile } from 'node:child_process';
import { delimiter, join } from 'node:path';
import { BERTHD_NODE_FLAGS } from '../../helpers/client/berthdStarter.ts';

/** The Node.js berthd needs (package.json engines). */
export const MIN_NODE = [20, 19] as const;

export type BerthdLaunchPlan =
  | { kind: 'detached'; command: string; args: string[]; env: NodeJS.ProcessEnv; why: string }
  | { kind: 'utility'; modulePath: string; execArgv: string[]; env: NodeJS.ProcessEnv; why: string };

export interface LaunchInput {
  packaged: boolean;
  berthdScript: string;
  /** A Node.js ≥ 20.19 found on this machine, if any. */
  node: string | undefined;
  /** process.execPath: the Electron binary. */
  electronExec: string;
  /** berthd's environment (BERTH_HOME and BERTH_IMAGE_DIR set). */
  env: NodeJS.ProcessEnv;
}

/**
 * The packaged app's fuses turn ELECTRON_RUN_AS_NODE off (T-39), so its own binary cannot run berthd
 * as plain Node. With a Node.js on the machine berthd runs detached and keeps the VM across Quit
 * (stopVmOnQuit off); without one it runs as a utility process and ends with the app. A development
 * Electron has no fuses flipped and runs berthd itself.
 */
export function berthdLaunchPlan(input: LaunchInput): BerthdLaunchPlan {
  const env = { ...input.env };
  delete env.ELECTRON_RUN_AS_NODE;
  const flags = [...BERTHD_NODE_FLAGS];
  if (input.node !== undefined) return { kind: 'detached', command: input.node, args: [...flags, input.berthdScript], env, why: `berthd runs under ${input.node}` };
  if (!input.packaged) {
    return { kind: 'detached', command: input.electronExec, args: [...flags, input.berthdScript], env: { ...env, ELECTRON_RUN_AS_NODE: '1' }, why: 'development run: berthd runs under this Electron as Node' };
  }
  return { kind: 'utility', modulePath: input.berthdScript, execArgv: flags, env, why: 'no Node.js 20.19+ found: berthd runs inside the app and stops with it' };
}

/** Where to look for `node`: $BERTH_NODE first, then PATH, then where installers put it (a GUI app's PATH is short). */
export function nodeCandidates(env: NodeJS.ProcessEnv, platform: NodeJS.Platform): string[] {
  const exe = platform === 'win32' ? 'node.exe' : 'node';
  const dirs = (env.PATH ?? env.Path ?? '').split(platform === 'win32' ? ';' : delimiter).filter((d) => d.length > 0);
  const wellKnown =
    platform === 'win32'
      ? [join(env.ProgramFiles ?? 'C:\\Program Files', 'nodejs')]
      : platform === 'darwin'
        ? ['/opt/homebrew/bin', '/usr/local/bin', '/usr/bin']
        : ['/usr/local/bin', '/usr/bin'];
  const found = [...(env.BERTH_NODE ? [env.BERTH_NODE] : []), ...[...dirs, ...wellKnown].map((d) => join(d, exe))];
  return [...new Set(found)];
}

/** `node --version` output ("v20.19.1") → whether it is new enough. */
export function nodeVersionOk(output: string): boolean {
  const m = /^v(\d+)\.(\d+)\.\d+/.exec(output.trim());
  if (!m) return false;
  const [major, minor] = [Number(m[1]), Number(m[2])];
  return major > MIN_NODE[0] || (major === MIN_NODE[0] && minor >= MIN_NODE[1]);
}

export type NodeProbe = (candidate: string) => Promise<string | undefined>;

/** Runs `<candidate> --version` (argv, no shell); undefined when it does not run. */
export const probeNode: NodeProbe = (candidate) =>
  new Promise((resolve) => {
    execFile(candidate, ['--version'], { timeout: 5000, windowsHide: true }, (err, stdout) => resolve(err ? undefined : stdout));
  });

/** The first candidate that runs and is new enough. */
export async function findNode(candidates: readonly string[], probe: NodeProbe = probeNode): Promise<string | undefined> {
  for (const c of candidates) {
    const out = await probe(c);
    if (out !== undefined && nodeVersionOk(out)) return c;
  }
  return undefined;
}
