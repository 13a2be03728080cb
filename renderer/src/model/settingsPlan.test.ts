import { describe, expect, it } from 'vitest';
import { GiB, SETTINGS_VERSION, type Settings } from '../../../helpers/api/settings.ts';
import type { VmState } from '../../../helpers/api/vmState.ts';
import { applyPlan, describeChange } from './settingsPlan.ts';

const saved: Settings = {
  version: SETTINGS_VERSION,
  cpus: 2,
  memory: 2 * GiB,
  disk: 64 * GiB,
  accel: 'auto',
  driver: 'qemu',
  shares: [{ hostPath: '/home/me', writable: true }],
  ports: { bindAddress: '127.0.0.1' },
  docker: { daemon: { 'log-level': 'info' }, proxy: {} },
  startAtLogin: false,
  stopVmOnQuit: true,
};
const running: VmState = { state: 'running', degraded: [], since: 1 };
const stopped: VmState = { state: 'stopped' };

describe('applyPlan', () => {
  it('nothing changed: nothing to apply, no restart', () => {
    const p = applyPlan(saved, structuredClone(saved), running);
    expect(p).toMatchObject({ change: {}, lines: [], restartKeys: [], canRestart: false });
    expect(p.applyEffect).toMatch(/Nothing to apply/);
  });

  it('memory on a running VM: Apply saves only; Apply & restart says the VM restarts and containers stop', () => {
    const p = applyPlan(saved, { ...saved, memory: 4 * GiB }, running);
    expect(p.change).toEqual({ memory: 4 * GiB });
    expect(p.lines).toEqual(['Memory: 2 GiB → 4 GiB']);
    expect(p.restartKeys).toEqual(['memory']);
    expect(p.canRestart).toBe(true);
    expect(p.applyEffect).toBe('Berth saves the settings. The VM keeps running with the old memory until it restarts (Dashboard → Restart).');
    expect(p.restartEffect).toMatch(/^Berth will restart the VM: running containers stop\. It starts again with the new memory/);
    expect(p.restartNote).toBe('Apply & restart restarts the VM now.');
  });

  it('several restart settings are listed in words', () => {
    const p = applyPlan(saved, { ...saved, cpus: 1, memory: 3 * GiB, docker: { ...saved.docker, daemon: {} } }, running);
    expect(p.restartEffect).toContain('the new CPUs, memory and Docker Engine configuration');
    expect(p.lines).toEqual(['CPUs: 2 → 1', 'Memory: 2 GiB → 3 GiB', 'Docker Engine (daemon.json): remove log-level']);
    expect(p.change).toEqual({ cpus: 1, memory: 3 * GiB, docker: { daemon: {}, proxy: {} } });
  });

  it('a stopped VM: both buttons just save, no restart offered', () => {
    const p = applyPlan(saved, { ...saved, cpus: 1 }, stopped);
    expect(p.canRestart).toBe(false);
    expect(p.applyEffect).toBe('Berth saves the settings; the VM uses them the next time it starts.');
    expect(p.restartEffect).toBe(p.applyEffect);
    expect(p.restartNote).toMatch(/^The VM is not running: Apply is enough/);
    expect(applyPlan(saved, { ...saved, cpus: 1 }, undefined).canRestart).toBe(false);
  });

  it('a starting VM takes them from its next start', () => {
    const p = applyPlan(saved, { ...saved, cpus: 1 }, { state: 'starting', phase: 'booting', progress: 0.2, since: 1 });
    expect(p.canRestart).toBe(false);
    expect(p.applyEffect).toMatch(/next start/);
    expect(p.restartNote).toMatch(/^The VM is starting: Apply now/);
  });

  it('live settings apply at once without a restart', () => {
    const p = applyPlan(saved, { ...saved, startAtLogin: true, ports: { bindAddress: '0.0.0.0' } }, running);
    expect(p.restartKeys).toEqual([]);
    expect(p.canRestart).toBe(false);
    expect(p.change).toEqual({ ports: { bindAddress: '0.0.0.0' }, startAtLogin: true });
    expect(p.applyEffect).toMatch(/at once; the VM keeps running/);
    expect(p.restartNote).toMatch(/only takes on after a restart/);
    expect(p.warnings).toEqual(['Published ports will listen on 0.0.0.0: other computers on your network can reach them.']);
  });

  it('another driver says it starts with an empty disk', () => {
    const p = applyPlan(saved, { ...saved, driver: 'hyperkit' }, running);
    expect(p.lines).toEqual(['Hypervisor: qemu → hyperkit']);
    expect(p.restartKeys).toEqual(['driver']);
    expect(p.restartEffect).toContain('the new hypervisor');
    expect(p.warnings[0]).toMatch(/hyperkit keeps its own disk/);
  });

  it('a bigger disk warns it cannot shrink again', () => {
    const p = applyPlan(saved, { ...saved, disk: 128 * GiB }, running);
    expect(p.lines).toEqual(['Disk: 64 GiB → 128 GiB']);
    expect(p.warnings[0]).toMatch(/grows to 128 GiB; a disk can never shrink/);
  });
});

describe('describeChange', () => {
  it('shares: added, removed and made read-only', () => {
    const after = { ...saved, shares: [{ hostPath: '/home/me', writable: false }, { hostPath: '/srv/data', writable: true }] };
    expect(describeChange('shares', saved, after)).toBe('File shares: /home/me becomes read-only; add /srv/data (writable)');
    expect(describeChange('shares', after, saved)).toBe('File shares: /home/me becomes writable; remove /srv/data');
  });
  it('proxy, acceleration and toggles', () => {
    const after = { ...saved, accel: 'tcg' as const, stopVmOnQuit: false, docker: { ...saved.docker, proxy: { http: 'http://p:3128', noProxy: 'localhost' } } };
    expect(describeChange('docker.proxy', saved, after)).toBe('Proxy: none → http http://p:3128, no proxy for localhost');
    expect(describeChange('accel', saved, after)).toBe('Acceleration: auto → tcg');
    expect(describeChange('stopVmOnQuit', saved, after)).toBe('Stop the VM on quit: on → off');
  });
  it('daemon.json: added and changed keys', () => {
    const after = { ...saved, docker: { ...saved.docker, daemon: { 'log-level': 'warn', debug: true } } };
    expect(describeChange('docker.daemon', saved, after)).toBe('Docker Engine (daemon.json): add debug; change log-level');
  });
});
