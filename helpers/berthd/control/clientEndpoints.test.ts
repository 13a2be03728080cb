// Owns: tests that clients take their endpoints from hostEndpoints.ts per platform — berthPaths (what the
// CLI, dashboard and Electron pass to controlClient.ts) and the `berth` docker context, written through a
// fake `docker` CLI that records its arguments.
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureDockerContext } from '../docker/dockerContext.ts';
import { berthPaths } from '../paths.ts';
import { controlPipeName } from './hostEndpoints.ts';
import { pipeKeyPath } from './pipeKeyFile.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-cep-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('berthPaths: the endpoints clients connect to', () => {
  it.each(['linux', 'darwin'] as const)('%s: berth.sock and docker.sock in the socket dir, and no pipe key made', (platform) => {
    const home = join(dir, `h-${platform}`);
    const p = berthPaths(home, platform);
    expect(p.controlSocket).toBe(join(home, 'run', 'berth.sock'));
    expect(p.dockerSocket).toBe(join(home, 'run', 'docker.sock'));
    expect(() => readFileSync(pipeKeyPath(p.runDir))).toThrow(/ENOENT/);
  });

  it('win32: the control pipe from this home\'s key (the same for berthd and every client) and the public Docker pipe', () => {
    const home = join(dir, 'h-win');
    const berthd = berthPaths(home, 'win32');
    const cli = berthPaths(home, 'win32');
    const key = readFileSync(pipeKeyPath(berthd.runDir), 'utf8').trim();
    expect(berthd.controlSocket).toBe(controlPipeName(home, key));
    expect(cli.controlSocket).toBe(berthd.controlSocket);
    expect(berthd.dockerSocket).toBe('\\\\.\\pipe\\berth_docker');
    // Another home (another user's, or a test's) gets another pipe.
    expect(berthPaths(join(dir, 'h-win2'), 'win32').controlSocket).not.toBe(berthd.controlSocket);
  });
});

describe('the berth docker context (fake docker CLI)', () => {
  function fakeDocker(): { bin: string; calls: () => string[][] } {
    const log = join(dir, `docker-calls-${Math.random().toString(16).slice(2)}.log`);
    const bin = join(dir, `fake-docker-${Math.random().toString(16).slice(2)}`);
    // `context inspect` finds no context (exit 1); create succeeds. Each call: its arguments, one per line, then a blank line.
    writeFileSync(bin, `#!/bin/sh\nfor a in "$@"; do printf '%s\\n' "$a" >> '${log}'; done\necho >> '${log}'\n[ "$2" = inspect ] && exit 1\nexit 0\n`);
    chmodSync(bin, 0o755);
    return {
      bin,
      calls: () =>
        readFileSync(log, 'utf8')
          .split('\n\n')
          .filter((c) => c.trim())
          .map((c) => c.trim().split('\n')),
    };
  }

  it('on Windows the context points at npipe:////./pipe/berth_docker', async () => {
    const d = fakeDocker();
    const p = berthPaths(join(dir, 'h-ctx-win'), 'win32');
    expect(await ensureDockerContext(p.dockerSocket, d.bin)).toEqual({ ok: true, action: 'created' });
    expect(d.calls().at(-1)).toEqual(['context', 'create', 'berth', '--description', 'Berth: Docker Engine in the Berth VM', '--docker', 'host=npipe:////./pipe/berth_docker']);
  });

  it('on unix it points at unix://<docker.sock>, as before', async () => {
    const d = fakeDocker();
    const p = berthPaths(join(dir, 'h-ctx-linux'), 'linux');
    expect(await ensureDockerContext(p.dockerSocket, d.bin)).toEqual({ ok: true, action: 'created' });
    expect(d.calls().at(-1)).toEqual(['context', 'create', 'berth', '--description', 'Berth: Docker Engine in the Berth VM', '--docker', `host=unix://${p.dockerSocket}`]);
  });
});
