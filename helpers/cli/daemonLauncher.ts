// Makes sure a berthd serves this BERTH_HOME: asks the control socket, and when nothing answers
// starts berthd detached (its output appended to logs/berthd.log) and waits for it to answer.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ensureLayout, type BerthPaths } from '../berthd/paths.ts';
import { BERTHD_NODE_FLAGS, berthdEnv, daemonAnswers, ensureDaemonWith, imageDirFor, spawnDetached } from '../client/berthdStarter.ts';

const here = dirname(fileURLToPath(import.meta.url));

/**
 * How this CLI starts berthd: the bundled berthd.mjs beside a bundled CLI (dist/berth.mjs, or a
 * packaged app's resources), else the TypeScript source through tsx from the repository.
 */
export function berthdCommand(cliDir: string, exists: (path: string) => boolean = existsSync): { args: string[]; cwd: string; script: string } {
  const bundled = join(cliDir, 'berthd.mjs');
  if (exists(bundled)) return { args: [...BERTHD_NODE_FLAGS, bundled], cwd: cliDir, script: bundled };
  const main = join(cliDir, '..', 'berthd', 'main.ts');
  return { args: [...BERTHD_NODE_FLAGS, '--import', 'tsx', main], cwd: join(cliDir, '..', '..'), script: main };
}

export function daemonRunning(paths: BerthPaths): Promise<boolean> {
  return daemonAnswers(paths.controlSocket);
}

export async function ensureDaemon(paths: BerthPaths): Promise<'running' | 'started'> {
  if (await daemonAnswers(paths.controlSocket)) return 'running';
  ensureLayout(paths);
  const cmd = berthdCommand(here);
  const imageDir = cmd.script.endsWith('.mjs') ? imageDirFor(cmd.script, process.arch) : undefined;
  return ensureDaemonWith({
    controlSocket: paths.controlSocket,
    logFile: paths.berthdLog,
    launch: () => spawnDetached({ command: process.execPath, args: cmd.args, env: berthdEnv(process.env, paths.home, imageDir), cwd: cmd.cwd, logFile: paths.berthdLog }),
  });
}
