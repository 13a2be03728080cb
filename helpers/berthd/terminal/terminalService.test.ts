// Owns: tests of the terminal service's parts that need no VM — dockerode kept on Berth's socket whatever
// DOCKER_HOST says, Docker failures said for a user, and the VM-not-running answers before anything starts.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { afterAll, describe, expect, it } from 'vitest';
import { dockerFailure } from './containerExecSession.ts';
import { openTerminalSession, type TerminalBackends } from './openTerminalSession.ts';
import { TerminalFailure } from './terminalSession.ts';
import { dockerOnSocket } from '../docker/dockerOnSocket.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-tsvc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dockerOnSocket', () => {
  it('talks to the unix socket even when berthd runs with DOCKER_HOST=tcp://… and TLS asked for', async () => {
    const sock = join(dir, 'docker.sock');
    const server = createServer((_req, res) => {
      res.setHeader('content-type', 'text/plain');
      res.end('OK');
    });
    await new Promise<void>((r) => server.listen(sock, r));
    const saved = { host: process.env.DOCKER_HOST, tls: process.env.DOCKER_TLS_VERIFY };
    process.env.DOCKER_HOST = 'tcp://127.0.0.1:9';
    process.env.DOCKER_TLS_VERIFY = '1';
    try {
      await expect(dockerOnSocket(sock).ping()).resolves.toBeTruthy();
      // What this guards against: plain dockerode follows DOCKER_HOST instead.
      await expect(new Docker({ socketPath: sock }).ping()).rejects.toThrow();
    } finally {
      for (const [k, v] of [['DOCKER_HOST', saved.host], ['DOCKER_TLS_VERIFY', saved.tls]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
      await new Promise((r) => server.close(r));
    }
  });
});

describe('dockerFailure', () => {
  const failure = (e: unknown): TerminalFailure => dockerFailure(e, 'web-1', '/h/run/docker.sock');

  it('no socket: docker-unavailable, start the VM', () => {
    expect(failure(Object.assign(new Error('connect ENOENT'), { code: 'ENOENT' }))).toMatchObject({ code: 'docker-unavailable', message: expect.stringContaining('/h/run/docker.sock'), hint: expect.stringContaining('berth start') });
  });

  it('404: no-such-container naming it', () => {
    expect(failure(Object.assign(new Error('(HTTP code 404) no such container'), { statusCode: 404 }))).toMatchObject({ code: 'no-such-container', message: 'there is no container "web-1"' });
  });

  it('409: container-not-running with Docker\'s words and how to start it', () => {
    expect(failure(Object.assign(new Error('x'), { statusCode: 409, json: { message: 'Container web-1 is paused, unpause the container before exec' } }))).toMatchObject({
      code: 'container-not-running',
      message: expect.stringContaining('is paused'),
      hint: expect.stringContaining('docker start web-1'),
    });
  });

  it('anything else: exec-failed with Docker\'s message', () => {
    expect(failure(Object.assign(new Error('(HTTP code 500) server error'), { statusCode: 500, json: { message: 'OCI runtime exec failed' } }))).toMatchObject({ code: 'exec-failed', message: expect.stringContaining('OCI runtime exec failed') });
  });
});

describe('openTerminalSession with the VM stopped', () => {
  const stopped: TerminalBackends = {
    vmRunning: () => false,
    openGuestExec: () => {
      throw new Error('the VM is not running');
    },
    docker: dockerOnSocket(join(dir, 'none.sock')),
    dockerSocket: join(dir, 'none.sock'),
    killInGuest: async () => undefined,
    hostProcess: () => {
      throw new Error('not used');
    },
  };

  it('a VM shell: vm-not-running, saying how to start it', async () => {
    await expect(openTerminalSession({ kind: 'vm', cols: 80, rows: 24 }, stopped)).rejects.toMatchObject({ code: 'vm-not-running', hint: expect.stringContaining('berth start') });
  });

  it('a container: vm-not-running naming the container, before asking Docker', async () => {
    await expect(openTerminalSession({ kind: 'container', id: 'web-1', cols: 80, rows: 24 }, stopped)).rejects.toMatchObject({ code: 'vm-not-running', message: expect.stringContaining('web-1') });
  });
});
