// Builds berth-ninep-server (helpers/ninep-server) for this Linux host, for the suites that run it
// against the real v9fs client (ninepServer.test.ts) or behind the fake hyperkit.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { repoRoot } from '../image/imageVm.ts';

export function buildNinepServer(out: string): string {
  execFileSync('go', ['build', '-trimpath', '-o', out, '.'], {
    cwd: join(repoRoot, 'helpers', 'ninep-server'),
    env: { ...process.env, CGO_ENABLED: '0', GOPROXY: 'off', GOFLAGS: '-buildvcs=false', GOCACHE: join(repoRoot, 'vm-images', '.cache', 'go-build') },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}
