// `berth doctor` on Windows (the platform set by the test, as the other doctor tests do): Berth's Docker
// endpoint is a named pipe found in the pipe list — never stat'ed as a file, no mode, owner or chmod —
// judged against the VM's state; docker_engine stands for another engine's endpoint.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { DoctorCheck } from '../../api/diagnostics.ts';
import { GiB } from '../../api/settings.ts';
import { BERTH_DOCKER_PIPE, DOCKER_ENGINE_PIPE } from '../hypervisors/windowsDockerPipe.ts';
import { berthPaths } from '../paths.ts';
import { doctorChecks, type DoctorFacts, type PipeFact } from './doctorChecks.ts';
import { gatherDoctorFacts, pipeFact } from './doctorFacts.ts';

const root = mkdtempSync(join(tmpdir(), 'doctor-win-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const RUNNING: DoctorFacts['vm'] = { state: 'running', degraded: [], since: 0 };

/** A Windows host where everything else is right; `vm` undefined: berthd did not answer. */
function windows(socket: PipeFact, vm: DoctorFacts['vm']): DoctorFacts {
  return {
    platform: 'win32',
    uid: undefined,
    home: 'C:\\Users\\ann\\.berth',
    qemu: { state: 'missing' },
    qemuImg: { state: 'missing' },
    kvm: { device: { type: 'missing' }, accessible: false, knownHanging: false },
    accelSetting: 'auto',
    socket,
    docker: {
      cli: { state: 'ok', version: 'Docker version 28.2.2, build e6534b4' },
      defaultSocket: DOCKER_ENGINE_PIPE,
      defaultSocketFact: { type: 'missing' },
      defaultSocketIsBerth: false,
      berthHost: 'npipe:////./pipe/berth_docker',
      config: { path: 'C:\\Users\\ann\\.docker\\config.json', currentContext: 'berth' },
      berthContextHost: 'npipe:////./pipe/berth_docker',
    },
    disk: { path: 'C:\\Users\\ann\\.berth', freeBytes: 100 * GiB, totalBytes: 500 * GiB },
    ...(vm ? { vm } : {}),
  };
}

const check = (f: DoctorFacts, id: string): DoctorCheck => doctorChecks(f).find((c) => c.id === id)!;
const served: PipeFact = { kind: 'pipe', path: BERTH_DOCKER_PIPE, listed: true };
const free: PipeFact = { kind: 'pipe', path: BERTH_DOCKER_PIPE, listed: false };

describe('doctor on Windows: Berth\'s Docker pipe', () => {
  const running = RUNNING;
  const rows: { name: string; socket: PipeFact; vm: DoctorFacts['vm']; status: DoctorCheck['status']; detail: RegExp; fix?: RegExp }[] = [
    { name: 'served while the VM runs: ok', socket: served, vm: running, status: 'ok', detail: /berth_docker is served \(by Berth's hvsock-bridge/ },
    { name: 'not served while the VM runs: warn, restart', socket: free, vm: running, status: 'warn', detail: /is not served: the VM runs but Docker is not served/, fix: /^berth restart/ },
    { name: 'free while stopped: ok', socket: free, vm: { state: 'stopped' }, status: 'ok', detail: /is free: it is served when the VM runs/ },
    { name: 'held while stopped: another program has it: fail', socket: served, vm: { state: 'stopped' }, status: 'fail', detail: /another program \(maybe another user's Berth\) holds it/, fix: /stop that program/ },
    { name: 'held, berthd not answering: warn', socket: served, vm: undefined, status: 'warn', detail: /may not be running \(berthd did not answer\)/ },
    { name: 'the pipe list unreadable: warn', socket: { kind: 'pipe', path: BERTH_DOCKER_PIPE, error: 'EPERM' }, vm: running, status: 'warn', detail: /could not be listed \(EPERM\)/ },
  ];
  it.each(rows)('$name', ({ socket, vm, status, detail, fix }) => {
    const c = check(windows(socket, vm), 'docker-socket');
    expect(c.title).toBe("Berth's Docker pipe");
    expect(c.status).toBe(status);
    expect(c.detail).toMatch(detail);
    if (fix) expect(c.fix).toMatch(fix);
  });

  it('no check on Windows speaks of modes, chmod, socket folders or path lengths', () => {
    for (const socket of [served, free]) {
      for (const vm of [{ state: 'running' as const, degraded: [], since: 0 }, { state: 'stopped' as const }]) {
        const text = JSON.stringify(doctorChecks(windows(socket, vm)));
        expect(text).not.toMatch(/chmod|mode 0|0700|0600|bytes, over/);
      }
    }
  });

  it('another engine on docker_engine warns and says docker context use berth', () => {
    const f = windows(served, RUNNING);
    f.docker.defaultSocketFact = { type: 'pipe' };
    const c = check(f, 'docker-default-socket');
    expect([c.status, c.detail.startsWith(`${DOCKER_ENGINE_PIPE} exists (a pipe) and is not Berth's`), c.fix?.startsWith('docker context use berth')]).toStrictEqual(['warn', true, true]);
  });
});

describe('doctor facts on Windows (platform and pipe list set by the test)', () => {
  it('pipeFact finds a pipe by name in the list, case-insensitively, and says why when the list cannot be read', () => {
    expect(pipeFact(BERTH_DOCKER_PIPE, () => ['InitShutdown', 'BERTH_DOCKER', 'docker_engine'])).toStrictEqual({ kind: 'pipe', path: BERTH_DOCKER_PIPE, listed: true });
    expect(pipeFact(BERTH_DOCKER_PIPE, () => ['docker_engine'])).toStrictEqual({ kind: 'pipe', path: BERTH_DOCKER_PIPE, listed: false });
    const err = Object.assign(new Error('denied'), { code: 'EPERM' });
    expect(pipeFact(BERTH_DOCKER_PIPE, () => { throw err; })).toStrictEqual({ kind: 'pipe', path: BERTH_DOCKER_PIPE, error: 'EPERM' });
  });

  it('gathers the Docker endpoint as a pipe, docker_engine as the other engine, npipe:// as Berth\'s host', async () => {
    const env = { ...process.env, DOCKER_CONFIG: join(root, 'docker-config'), DOCKER_HOST: '', DOCKER_CONTEXT: '' };
    const paths = berthPaths(join(root, 'home'), 'win32');
    const listed: string[][] = [];
    const f = await gatherDoctorFacts(paths, {
      env,
      platform: 'win32',
      powershell: () => Promise.resolve({}),
      listPipes: () => (listed.push([]), ['berth_docker', 'docker_engine']),
      vm: { state: 'running', degraded: [], since: 0 },
    });
    expect(f.platform).toBe('win32');
    expect(f.socket).toStrictEqual({ kind: 'pipe', path: BERTH_DOCKER_PIPE, listed: true });
    expect(f.docker.defaultSocket).toBe(DOCKER_ENGINE_PIPE);
    expect(f.docker.defaultSocketFact).toStrictEqual({ type: 'pipe' });
    expect(f.docker.defaultSocketIsBerth).toBe(false);
    expect(f.docker.berthHost).toBe('npipe:////./pipe/berth_docker');
    expect(listed).toHaveLength(2);
    expect(check(f, 'docker-socket')).toMatchObject({ status: 'ok', title: "Berth's Docker pipe" });
    expect(check(f, 'docker-default-socket').status).toBe('warn');
  });
});
