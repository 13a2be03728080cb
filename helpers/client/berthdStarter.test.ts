// Tests: starting berthd when its socket does not answer — with real child processes standing in for
// berthd (a small HTTP server on a temp unix socket), its exit at start, a lost lock race, and the image dir.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createServer } from 'node:http';
import { berthdEnv, daemonAnswers, EXIT_ALREADY_RUNNING, ensureDaemonWith, guestArch, imageDirFor, spawnDetached, type LaunchedDaemon } from './berthdStarter.ts';
import { call } from './controlClient.ts';

const statusJson = { state: 'stopped', vm: { state: 'stopped' }, dockerSocket: '/x/docker.sock', berthdPid: 1, berthHome: '/x', settings: { path: '/x', status: 'ok', notes: [] } };
let dir: string;
let n = 0;
const started: string[] = [];

/** A stand-in berthd: answers GET /v1/status with a valid status and exits on /v1/daemon/shutdown. */
const fakeBerthd = `
const http = require('node:http');
const status = { state: 'stopped', vm: { state: 'stopped' }, dockerSocket: '/x/docker.sock', berthdPid: process.pid, berthHome: process.env.BERTH_HOME, settings: { path: '/x', status: 'ok', notes: [] } };
const server = http.createServer((req, res) => {
  res.setHeader('content-type', 'application/json');
  if (req.url === '/v1/daemon/shutdown') { res.end('{}'); server.close(); setTimeout(() => process.exit(0), 10); return; }
  res.end(JSON.stringify(status));
});
console.log('fake berthd starting, image dir ' + (process.env.BERTH_IMAGE_DIR || '-'));
server.listen(process.argv[1]);
`;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-starter-'));
});
afterAll(async () => {
  for (const socket of started) await call(socket, 'shutdownDaemon', {}, 2000).catch(() => undefined);
  rmSync(dir, { recursive: true, force: true });
});

function socketAndLog(): { socket: string; log: string } {
  n++;
  return { socket: join(dir, `b${n}.sock`), log: join(dir, `b${n}.log`) };
}

function launchFake(socket: string, log: string): LaunchedDaemon {
  started.push(socket);
  return spawnDetached({ command: process.execPath, args: ['-e', fakeBerthd, socket], env: { ...process.env, BERTH_HOME: dir }, logFile: log });
}

describe('ensureDaemonWith', () => {
  it('starts berthd when nothing answers, and waits until it does', async () => {
    const { socket, log } = socketAndLog();
    expect(await daemonAnswers(socket)).toBe(false);
    await expect(ensureDaemonWith({ controlSocket: socket, logFile: log, launch: () => launchFake(socket, log) })).resolves.toBe('started');
    expect(await daemonAnswers(socket)).toBe(true);
  });

  it('leaves a berthd that answers alone', async () => {
    const { socket, log } = socketAndLog();
    await ensureDaemonWith({ controlSocket: socket, logFile: log, launch: () => launchFake(socket, log) });
    const launch = vi.fn(() => launchFake(socket, log));
    await expect(ensureDaemonWith({ controlSocket: socket, logFile: log, launch })).resolves.toBe('running');
    expect(launch).not.toHaveBeenCalled();
  });

  it('quotes the log when berthd exits at start', async () => {
    const { socket, log } = socketAndLog();
    const launch = (): LaunchedDaemon =>
      spawnDetached({ command: process.execPath, args: ['-e', 'console.error("QEMU is not installed"); process.exit(1)'], env: process.env, logFile: log });
    await expect(ensureDaemonWith({ controlSocket: socket, logFile: log, launch })).rejects.toThrow(/exited at start \(code 1\)[\s\S]*QEMU is not installed[\s\S]*try again/);
  });

  it('an exit with "already running" while another berthd answers counts as running', async () => {
    const { socket, log } = socketAndLog();
    // The other berthd: in this process, listening only once ours has lost the lock (exit code 3).
    const other = createServer((_req, res) => res.end(JSON.stringify(statusJson)));
    const launch = (): LaunchedDaemon => ({
      exitCode: () => {
        if (!other.listening) other.listen(socket);
        return EXIT_ALREADY_RUNNING;
      },
    });
    try {
      await expect(ensureDaemonWith({ controlSocket: socket, logFile: log, launch, pollMs: 20 })).resolves.toBe('running');
    } finally {
      other.close();
    }
  });

  it('gives up after the timeout, saying where the log is', async () => {
    const { socket, log } = socketAndLog();
    await expect(ensureDaemonWith({ controlSocket: socket, logFile: log, launch: () => ({ exitCode: () => undefined }), timeoutMs: 300, pollMs: 50 })).rejects.toThrow(
      new RegExp(`did not answer on .* within 0 s; see ${log}`),
    );
  });
});

describe('where a bundled berthd finds its VM image', () => {
  it('maps Node architectures to the image directory names', () => {
    expect(guestArch('x64')).toBe('x86_64');
    expect(guestArch('arm64')).toBe('aarch64');
  });

  it('packaged app: beside the berthd directory; repository: vm-images/out', () => {
    const has = (set: string[]) => (p: string) => set.includes(p);
    expect(imageDirFor('/opt/Berth/resources/berthd/berthd.mjs', 'x64', has(['/opt/Berth/resources/vm-images/x86_64/kernel']))).toBe('/opt/Berth/resources/vm-images/x86_64');
    expect(imageDirFor('/repo/dist/berthd.mjs', 'arm64', has(['/repo/vm-images/out/aarch64/kernel']))).toBe('/repo/vm-images/out/aarch64');
    expect(imageDirFor('/repo/dist/berthd.mjs', 'x64', has([]))).toBeUndefined();
  });

  it('the environment names the home, and the image dir unless the user set one', () => {
    expect(berthdEnv({ PATH: '/bin' }, '/h', '/img')).toEqual({ PATH: '/bin', BERTH_HOME: '/h', BERTH_IMAGE_DIR: '/img' });
    expect(berthdEnv({ BERTH_IMAGE_DIR: '/mine' }, '/h', '/img')).toEqual({ BERTH_IMAGE_DIR: '/mine', BERTH_HOME: '/h' });
    expect(berthdEnv({}, '/h', undefined)).toEqual({ BERTH_HOME: '/h' });
  });

  it('the fake berthd got the image dir it was given', async () => {
    const { socket, log } = socketAndLog();
    const env = berthdEnv(process.env, dir, '/img/x86_64');
    writeFileSync(log, '');
    started.push(socket);
    await ensureDaemonWith({ controlSocket: socket, logFile: log, launch: () => spawnDetached({ command: process.execPath, args: ['-e', fakeBerthd, socket], env, logFile: log }) });
    expect(readFileSync(log, 'utf8')).toContain('image dir /img/x86_64');
  });
});
