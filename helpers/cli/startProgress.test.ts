// Owns: tests of startProgress.ts: the progress line `berth start` shows for each VM state, and the closing
// lines telling the user how to point docker at Berth (with and without a docker context).

import { describe, expect, it } from 'vitest';
import type { Status, VmState } from '../api/vmState.ts';
import { progressLine, readyLines } from './startProgress.ts';

describe('progressLine', () => {
  const cases: [string, VmState, number, string][] = [
    ['starting', { state: 'starting', phase: 'waiting for docker', progress: 0.8, since: 0 }, 12_345, 'berth: waiting for docker … 12.3s'],
    ['starting (first phase)', { state: 'starting', phase: 'checking host', progress: 0, since: 0 }, 0, 'berth: checking host … 0.0s'],
    ['running', { state: 'running', degraded: [], since: 0 }, 31_060, 'berth: running (31.1s)'],
    ['stopping', { state: 'stopping', since: 0 }, 1_000, 'berth: stopping … 1.0s'],
    ['stopped', { state: 'stopped', lastExit: 'qemu exited' }, 999, 'berth: stopped (1.0s)'],
    ['error', { state: 'error', reason: 'QEMU exited at once', hint: 'see the log', lastLog: [] }, 5_000, 'berth: error: QEMU exited at once'],
  ];
  it.each(cases)('%s', (_name, vm, elapsed, want) => {
    expect(progressLine(vm, elapsed)).toBe(want);
  });

  it('shows every start phase by name', () => {
    for (const phase of ['checking host', 'preparing disk', 'booting', 'waiting for agent', 'waiting for docker'] as const) {
      expect(progressLine({ state: 'starting', phase, progress: 0.5, since: 0 }, 2_000)).toBe(`berth: ${phase} … 2.0s`);
    }
  });
});

describe('readyLines', () => {
  const base: Status = {
    state: 'running',
    vm: { state: 'running', degraded: [], since: 0 },
    accel: { accel: 'kvm', requested: 'auto', why: 'auto: KVM' },
    dockerVersion: '27.3.1',
    dockerSocket: '/home/ann/.berth/run/docker.sock',
    berthdPid: 1,
    berthHome: '/home/ann/.berth',
    settings: { path: '/home/ann/.berth/settings.json', status: 'ok', notes: [] },
  };

  it('with a docker context: the ready line, the context command, and DOCKER_HOST for one shell', () => {
    expect(readyLines({ ...base, dockerContext: 'berth' }, 8_460)).toEqual([
      'berth: Docker 27.3.1 is ready (8.5 s, acceleration kvm).',
      'Use it from this shell with:   docker context use berth',
      'or for one shell:              export DOCKER_HOST=unix:///home/ann/.berth/run/docker.sock',
    ]);
  });

  it('without a docker context: no context line', () => {
    const lines = readyLines(base, 60_000);
    expect(lines).toEqual([
      'berth: Docker 27.3.1 is ready (60.0 s, acceleration kvm).',
      'or for one shell:              export DOCKER_HOST=unix:///home/ann/.berth/run/docker.sock',
    ]);
    expect(lines.join('\n')).not.toContain('docker context use');
  });

  it('says "?" when the acceleration is not known, and names TCG when emulating', () => {
    const { accel: _accel, ...noAccel } = base;
    expect(readyLines(noAccel, 1_000)[0]).toContain('acceleration ?)');
    expect(readyLines({ ...base, accel: { accel: 'tcg', requested: 'auto', why: 'x' } }, 1_000)[0]).toContain('acceleration tcg)');
  });

  it('on Windows the DOCKER_HOST line is PowerShell\'s, on the public pipe', () => {
    const lines = readyLines({ ...base, dockerSocket: '\\\\.\\pipe\\berth_docker', dockerContext: 'berth' }, 1_000);
    expect(lines.at(-1)).toBe("or for one shell:              $env:DOCKER_HOST = 'npipe:////./pipe/berth_docker'");
  });

  it('the DOCKER_HOST line uses the socket as reported (a short temp dir for a long home, T-23)', () => {
    const lines = readyLines({ ...base, dockerSocket: '/tmp/berth-1000-0123456789/docker.sock' }, 1_000);
    expect(lines.at(-1)).toBe('or for one shell:              export DOCKER_HOST=unix:///tmp/berth-1000-0123456789/docker.sock');
  });
});
