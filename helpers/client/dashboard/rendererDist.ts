// Owns: finding the built renderer the dashboard serves ($BERTH_RENDERER_DIST, else renderer/dist of this
// checkout) and building it with Vite when it is missing, its progress shown on stderr.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const VITE_CONFIG = join('renderer', 'vite.config.ts');

export type DistLookup = { found: true; dir: string } | { found: false; dir: string; buildable: boolean };

/** Where the renderer's built files are: an explicit directory wins; a directory counts when it holds index.html. */
export function locateRendererDist(env: NodeJS.ProcessEnv = process.env, root = repoRoot): DistLookup {
  const explicit = env.BERTH_RENDERER_DIST;
  if (explicit) {
    const dir = resolve(explicit);
    return existsSync(join(dir, 'index.html')) ? { found: true, dir } : { found: false, dir, buildable: false };
  }
  const dir = join(root, 'renderer', 'dist');
  if (existsSync(join(dir, 'index.html'))) return { found: true, dir };
  return { found: false, dir, buildable: existsSync(join(root, VITE_CONFIG)) };
}

/** Vite's command line, run with this Node and no shell (npx is a .cmd on Windows). */
export function viteBuildArgv(root = repoRoot): string[] {
  const vitePkg = createRequire(join(root, 'package.json')).resolve('vite/package.json');
  return [join(dirname(vitePkg), 'bin', 'vite.js'), 'build', '--config', VITE_CONFIG];
}

/** Builds renderer/dist (`vite build --config renderer/vite.config.ts`); Vite's progress goes to stderr. */
export function buildRendererDist(root = repoRoot): Promise<void> {
  let argv: string[];
  try {
    argv = viteBuildArgv(root);
  } catch {
    return Promise.reject(new Error('cannot build the dashboard: Vite is not installed here; run `npm install` in the Berth checkout'));
  }
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, argv, { cwd: root, stdio: ['ignore', 2, 2] });
    child.once('error', (e) => reject(new Error(`cannot run Vite to build the dashboard: ${e.message}`)));
    child.once('exit', (code, signal) => {
      if (code === 0 && existsSync(join(root, 'renderer', 'dist', 'index.html'))) return resolvePromise();
      reject(new Error(`building the dashboard failed (vite build ${signal ? `killed by ${signal}` : `exited with ${code}`}); see Vite's output above, fix it, and run \`berth dashboard\` again`));
    });
  });
}

/** The directory to serve: found as it is, or built first. */
export async function ensureRendererDist(log: (line: string) => void, env: NodeJS.ProcessEnv = process.env, root = repoRoot): Promise<string> {
  const where = locateRendererDist(env, root);
  if (where.found) return where.dir;
  if (env.BERTH_RENDERER_DIST) throw new Error(`BERTH_RENDERER_DIST is ${where.dir}, which has no index.html; point it at a built renderer or unset it`);
  if (!where.buildable) throw new Error(`the dashboard is not built (${where.dir} is missing) and ${join(root, VITE_CONFIG)} is not there to build it; use a complete Berth checkout or install`);
  log(`berth: building the dashboard (${where.dir} is missing): vite build --config ${VITE_CONFIG} …`);
  await buildRendererDist(root);
  log('berth: dashboard built');
  return where.dir;
}
