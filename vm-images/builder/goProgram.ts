// Builds the image's Go programs (berth-agent) with Debian's Go: static, trimmed paths, no build id,
// so that two builds of the same sources give the same bytes.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { runTool } from './execFile.ts';

export async function buildGoProgram(sourceDir: string, outFile: string, cacheDir: string): Promise<void> {
  mkdirSync(join(cacheDir, 'go-build'), { recursive: true });
  await runTool(
    ['go', 'build', '-trimpath', '-buildvcs=false', '-ldflags=-s -w -buildid=', '-o', outFile, '.'],
    'Go is needed to build berth-agent: apt-get install golang-go.',
    {
      cwd: sourceDir,
      env: {
        ...process.env,
        CGO_ENABLED: '0',
        GOOS: 'linux',
        GOARCH: 'amd64',
        GOFLAGS: '-mod=mod',
        GOPROXY: 'off',
        GOCACHE: join(cacheDir, 'go-build'),
        GOPATH: join(cacheDir, 'go-path'),
      },
    },
  );
}
