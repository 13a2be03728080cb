// Owns: tests of the Windows branch of berthd's listeners (pipeListen.ts through DockerSocketServer and
// ControlServer with platform win32), unix sockets standing in for the pipes: no claim, no unlink, no
// chmod; a held endpoint refused saying who may hold it and what to do (T-13, T-14). The unix branch unchanged.
import { spawn } from 'node:child_process';
import { existsSync, lstatSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { connect, createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ControlServer, type ControlHandlers } from '../control/controlServer.ts';
import { DockerSocketServer } from './dockerSocketServer.ts';
import { PipeInUseError } from './pipeListen.ts';

let dir: string;
let n = 0;
const closers: (() => Promise<void>)[] = [];
const standIn = (): string => join(dir, `p${n++}.sock`);
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-pipe-'));
});
afterEach(async () => {
  for (const c of closers.splice(0)) await c();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function holder(path: string): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer((c) => c.end());
    s.listen(path, () => resolve(s));
    closers.push(() => new Promise((r) => s.close(() => r())));
  });
}

/** A socket file nobody answers on: its listener was SIGKILLed. */
async function staleSocket(path: string): Promise<void> {
  const child = spawn(process.execPath, ['-e', `require('net').createServer().listen(${JSON.stringify(path)}, () => process.stdout.write('ready'))`], { stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise<void>((resolve) => child.stdout.once('data', () => resolve()));
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGKILL');
  await exited;
}

function echoOpener(): () => PassThrough {
  return () => new PassThrough();
}

function ask404(socketPath: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath, path: '/nowhere', method: 'GET' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
}

describe('DockerSocketServer on win32 (unix socket standing in for the private pipe)', () => {
  it('listens and serves without chmod: the endpoint keeps the mode listen gave it', async () => {
    const path = standIn();
    const s = new DockerSocketServer(path, echoOpener(), () => {}, undefined, 'win32');
    closers.push(() => s.close());
    await s.listen();
    expect(statSync(path).mode & 0o777).not.toBe(0o600);
    const c = connect(path);
    await new Promise<void>((r) => c.once('connect', () => r()));
    c.write('ping');
    const echoed = await new Promise<string>((r) => c.once('data', (d) => r(String(d))));
    expect(echoed).toBe('ping');
    c.destroy();
  });

  it('the unix branch still claims and chmods (0600), for contrast', async () => {
    const path = standIn();
    const s = new DockerSocketServer(path, echoOpener(), () => {}, undefined, 'linux');
    closers.push(() => s.close());
    await s.listen();
    expect(statSync(path).mode & 0o777).toBe(0o600);
  });

  it('T-13: no claim on win32 — a left-over endpoint is not unlinked; the start is refused instead', async () => {
    const path = standIn();
    await staleSocket(path);
    const s = new DockerSocketServer(path, echoOpener(), () => {}, undefined, 'win32');
    await expect(s.listen()).rejects.toBeInstanceOf(PipeInUseError);
    expect(lstatSync(path).isSocket()).toBe(true);
    // The unix branch removes the same stale file (unixSocketClaim.ts).
    const logs: string[] = [];
    const u = new DockerSocketServer(path, echoOpener(), (m) => logs.push(m), undefined, 'linux');
    closers.push(() => u.close());
    await u.listen();
    expect(logs).toContain(`removed a stale socket file at ${path}`);
  });

  it('T-14: an endpoint another program serves is refused, naming it and saying what to do; the holder keeps it', async () => {
    const path = standIn();
    await holder(path);
    const s = new DockerSocketServer(path, echoOpener(), () => {}, undefined, 'win32');
    const err = await s.listen().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PipeInUseError);
    expect((err as Error).message).toBe(
      `berthd's private Docker pipe ${path} is already served by another program: another Berth (maybe another user's, or a berthd still stopping) or another Docker engine holds it. ` +
        'Berth leaves it alone. Stop that program (`berth stop` for another Berth; Task Manager shows the others) and start again.',
    );
    expect(existsSync(path)).toBe(true);
    const c = connect(path);
    await new Promise<void>((r, j) => c.once('connect', () => r()).once('error', j));
    c.destroy();
  });
});

describe('ControlServer on win32 (unix socket standing in for the control pipe)', () => {
  it('serves the API without claim or chmod', async () => {
    const path = standIn();
    const s = new ControlServer(path, {} as ControlHandlers, () => [], {}, 'win32');
    closers.push(() => s.close());
    await s.listen();
    expect(statSync(path).mode & 0o777).not.toBe(0o600);
    expect(await ask404(path)).toBe(404);
  });

  it('a held control pipe is refused with the plain reason', async () => {
    const path = standIn();
    await holder(path);
    const s = new ControlServer(path, {} as ControlHandlers, () => [], {}, 'win32');
    await expect(s.listen()).rejects.toThrow(new RegExp(`^berthd's control pipe ${path.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} is already served by another program: another Berth`));
  });
});
