// Test fixture: builds one of the repo's Go programs (or a Go file a test writes) for this host the way
// `npm test`'s Go lane and the image builder do — static, offline, trimmed, in the repo's shared build cache.
import { execFileSync } from 'node:child_process';
import { join, resolve } from 'node:path';

const repoRoot = join(import.meta.dirname, '..', '..', '..');

export type GoTestBuild = {
  /** Files to build instead of the package in `dir` (GOPATH mode: a lone main.go a test wrote). */
  files?: string[];
  /** Extra `go build` flags, e.g. `-ldflags=-s -w`. */
  flags?: string[];
  /** Build for this target instead of the host (GOOS/GOARCH). */
  target?: { goos: string; goarch: string };
};

/** The environment of every Go build a test makes: the cache is shared, so the standard library is compiled once. */
export function goTestBuildEnv(files = false): NodeJS.ProcessEnv {
  return {
    ...process.env,
    CGO_ENABLED: '0',
    GOPROXY: 'off',
    GOFLAGS: '-buildvcs=false -trimpath',
    GOCACHE: join(repoRoot, 'vm-images', '.cache', 'go-build'),
    ...(files ? { GO111MODULE: 'off' } : {}),
  };
}

/** Build the Go package in `dir` (repo-relative or absolute) to `out`; Go's own error text on failure. */
export function buildGoForTest(dir: string, out: string, opts: GoTestBuild = {}): string {
  const env = goTestBuildEnv(opts.files !== undefined);
  if (opts.target) Object.assign(env, { GOOS: opts.target.goos, GOARCH: opts.target.goarch });
  execFileSync('go', ['build', ...(opts.flags ?? []), '-o', out, ...(opts.files ?? ['.'])], {
    cwd: resolve(repoRoot, dir),
    env,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  return out;
}
