// Owns: tests of hostEndpoints.ts and pipeKeyFile.ts — unix sockets on Linux and macOS, named pipes on
// Windows; the control pipe's name from a per-user key another user cannot read (T-02, T-13); DOCKER_HOST forms.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { endpointArg } from '../hypervisors/hvsockBridgeArgs.ts';
import { BERTH_DOCKER_PIPE } from '../hypervisors/windowsDockerPipe.ts';
import { controlPipeName, dockerHostShellLine, dockerHostUrl, dockerServerEndpoint, hostEndpoints, isNamedPipe, newPipeKey } from './hostEndpoints.ts';
import { pipeKeyPath, readOrCreatePipeKey, replacePipeKey } from './pipeKeyFile.ts';

const KEY = 'ab'.repeat(16);
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-ep-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('hostEndpoints', () => {
  it.each(['linux', 'darwin'] as const)('%s: the control and Docker sockets in the socket dir, as before', (platform) => {
    expect(hostEndpoints({ platform, home: '/home/ann/.berth', socketDir: '/home/ann/.berth/run', pipeKey: KEY })).toEqual({
      transport: 'unix-socket',
      control: '/home/ann/.berth/run/berth.sock',
      docker: '/home/ann/.berth/run/docker.sock',
    });
  });

  it('win32: the control pipe named from the key, and the public Docker pipe hvsock-bridge serves', () => {
    const e = hostEndpoints({ platform: 'win32', home: 'C:\\Users\\ann\\.berth', socketDir: 'C:\\Users\\ann\\.berth\\run', pipeKey: KEY });
    expect(e.transport).toBe('named-pipe');
    expect(e.control).toMatch(/^\\\\\.\\pipe\\berth_control-[0-9a-f]{32}$/);
    expect(e.control).toBe(controlPipeName('C:\\Users\\ann\\.berth', KEY));
    expect(e.docker).toBe('\\\\.\\pipe\\berth_docker');
    expect(e.docker).toBe(BERTH_DOCKER_PIPE);
    // Both are names the bridge and libuv accept.
    expect(() => endpointArg({ kind: 'pipe', path: e.control })).not.toThrow();
    expect(() => endpointArg({ kind: 'pipe', path: e.docker })).not.toThrow();
  });

  it('win32 without a key is refused (the name would be guessable)', () => {
    expect(() => hostEndpoints({ platform: 'win32', home: 'C:\\h', socketDir: 'C:\\h\\run' })).toThrow(/needs the per-user pipe key/);
  });

  it('T-02: the control pipe name depends on the secret key and the home, so another user cannot name it in advance', () => {
    const home = 'C:\\Users\\ann\\.berth';
    const a = controlPipeName(home, KEY);
    expect(controlPipeName(home, KEY)).toBe(a);
    expect(controlPipeName(home, 'cd'.repeat(16))).not.toBe(a);
    expect(controlPipeName('C:\\Users\\bob\\.berth', KEY)).not.toBe(a);
    // The name does not carry the key.
    expect(a).not.toContain(KEY);
    expect(() => controlPipeName(home, 'ann')).toThrow(/not 32 hex digits.*pipe\.key/);
    expect(newPipeKey()).toMatch(/^[0-9a-f]{32}$/);
    expect(newPipeKey()).not.toBe(newPipeKey());
  });

  it('berthd serves Docker on the clients\' socket on unix, on a fresh private pipe behind the public one on Windows', () => {
    expect(dockerServerEndpoint('/run/docker.sock')).toBe('/run/docker.sock');
    expect(dockerServerEndpoint(BERTH_DOCKER_PIPE, Buffer.alloc(16, 0x11))).toBe(`\\\\.\\pipe\\berth-docker-${'11'.repeat(16)}`);
    expect(dockerServerEndpoint(BERTH_DOCKER_PIPE)).not.toBe(dockerServerEndpoint(BERTH_DOCKER_PIPE));
  });

  it('DOCKER_HOST and the docker context: unix:// for a socket, npipe:////./pipe/… for a pipe', () => {
    expect(isNamedPipe('\\\\.\\pipe\\berth_docker')).toBe(true);
    expect(isNamedPipe('/run/docker.sock')).toBe(false);
    expect(dockerHostUrl('/home/ann/.berth/run/docker.sock')).toBe('unix:///home/ann/.berth/run/docker.sock');
    expect(dockerHostUrl(BERTH_DOCKER_PIPE)).toBe('npipe:////./pipe/berth_docker');
    expect(dockerHostShellLine('/r/docker.sock')).toBe('export DOCKER_HOST=unix:///r/docker.sock');
    expect(dockerHostShellLine(BERTH_DOCKER_PIPE)).toBe("$env:DOCKER_HOST = 'npipe:////./pipe/berth_docker'");
  });
});

describe('readOrCreatePipeKey', () => {
  it('makes the key once (0600) and reads the same key after', () => {
    const run = join(dir, 'a', 'run');
    const k = readOrCreatePipeKey(run);
    expect(k).toMatch(/^[0-9a-f]{32}$/);
    expect(statSync(pipeKeyPath(run)).mode & 0o777).toBe(0o600);
    expect(readOrCreatePipeKey(run, () => 'cd'.repeat(16))).toBe(k);
    expect(readFileSync(pipeKeyPath(run), 'utf8').trim()).toBe(k);
  });

  it('a damaged key file is refused with the fix, not silently replaced', () => {
    const run = join(dir, 'b', 'run');
    readOrCreatePipeKey(run);
    writeFileSync(pipeKeyPath(run), 'not a key\n');
    expect(() => readOrCreatePipeKey(run)).toThrow(/does not hold a pipe key.*delete it and start again/);
  });
});

describe('replacePipeKey', () => {
  it('T-13: a new key (so a new control pipe name) replaces the old one, whole, still 0600', () => {
    const run = join(dir, 'c', 'run');
    const old = readOrCreatePipeKey(run);
    const next = replacePipeKey(run);
    expect(next).not.toBe(old);
    expect(readOrCreatePipeKey(run)).toBe(next);
    expect(controlPipeName('C:\\h', next)).not.toBe(controlPipeName('C:\\h', old));
    expect(statSync(pipeKeyPath(run)).mode & 0o777).toBe(0o600);
    expect(() => replacePipeKey(run, () => 'short')).toThrow(/32 hex digits/);
    expect(readOrCreatePipeKey(run)).toBe(next);
  });
});
