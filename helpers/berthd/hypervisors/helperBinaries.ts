// Owns: where the Go helpers berthd starts are (hvsock-bridge.exe, berth-ninep-server): an environment
// override, else beside berthd's bundle — resources/berthd/bin in the app, dist/bin/<platform>-<arch> in a build.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export type HelperName = 'hvsock-bridge' | 'berth-ninep-server';

const OVERRIDE: Record<HelperName, string> = { 'hvsock-bridge': 'BERTH_HVSOCK_BRIDGE', 'berth-ninep-server': 'BERTH_NINEP_SERVER' };

export type HelperLookup = {
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  arch: string;
  /** The directory of the running berthd: dist/ (the bundle), resources/berthd/ (the app), helpers/berthd/hypervisors/ (sources). */
  here: string;
  exists: (path: string) => boolean;
};

/** Where to look, in order: the app's layout, a build's layout beside the bundle, a build's layout from the sources. */
export function helperCandidates(name: HelperName, o: Pick<HelperLookup, 'platform' | 'arch' | 'here'>): string[] {
  const file = o.platform === 'win32' ? `${name}.exe` : name;
  const target = `${o.platform}-${o.arch}`;
  return [join(o.here, 'bin', file), join(o.here, 'bin', target, file), join(o.here, '..', '..', '..', 'dist', 'bin', target, file)];
}

/** The helper's path: its override when set, else the first candidate that exists (else the first, for the error message). */
export function helperBinary(name: HelperName, o: Partial<HelperLookup> = {}): string {
  const env = o.env ?? process.env;
  const override = env[OVERRIDE[name]];
  if (override) return override;
  const candidates = helperCandidates(name, {
    platform: o.platform ?? process.platform,
    arch: o.arch ?? process.arch,
    here: o.here ?? dirname(fileURLToPath(import.meta.url)),
  });
  const exists = o.exists ?? existsSync;
  return candidates.find(exists) ?? candidates[0]!;
}
