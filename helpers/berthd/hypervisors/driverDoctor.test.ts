// doctor's hypervisor checks on macOS and Windows, from their facts.
import { describe, expect, it } from 'vitest';
import { hypervCheck, hyperkitCheck, type HypervFacts } from './driverDoctor.ts';

describe('hyperkitCheck', () => {
  it('Apple Silicon: HyperKit cannot run, QEMU with HVF is used', () => {
    const c = hyperkitCheck({ arch: 'arm64', hyperkit: { state: 'missing' } });
    expect(c.status).toBe('ok');
    expect(c.detail).toMatch(/cannot run here .* QEMU and Hypervisor\.framework \(HVF\)/);
  });
  it('Intel without HyperKit: warn, install it or keep QEMU', () => {
    const c = hyperkitCheck({ arch: 'x64', hyperkit: { state: 'missing' } });
    expect(c).toMatchObject({ status: 'warn', fix: expect.stringMatching(/brew install hyperkit/) });
    expect(hyperkitCheck({ arch: 'x64', hyperkit: { state: 'broken', error: 'killed' } }).detail).toMatch(/does not run \(killed\)/);
    expect(hyperkitCheck({ arch: 'x64', hyperkit: { state: 'ok', version: 'hyperkit: v0.20210107' } }).status).toBe('ok');
  });
});

describe('hypervCheck', () => {
  const good: HypervFacts = { edition: 'Microsoft Windows 11 Pro', isAdmin: false, inHyperVAdministrators: true, vmms: 'Running', hypervisorPresent: true, hypervModule: true };
  it('ready', () => expect(hypervCheck(good).status).toBe('ok'));
  it('Windows Home has no Hyper-V: points to QEMU with WHPX', () => {
    const c = hypervCheck({ ...good, edition: 'Microsoft Windows 11 Home', vmms: 'Missing', hypervModule: false });
    expect(c).toMatchObject({ status: 'warn', fix: expect.stringMatching(/Windows Hypervisor Platform/) });
    expect(c.detail).toMatch(/WHPX/);
  });
  it('Hyper-V off on Pro: how to enable it', () => {
    expect(hypervCheck({ ...good, vmms: 'Missing', hypervModule: false }).fix).toMatch(/Enable-WindowsOptionalFeature .*Microsoft-Hyper-V-All/);
  });
  it('installed but not running', () => {
    expect(hypervCheck({ ...good, vmms: 'Stopped' }).status).toBe('fail');
    expect(hypervCheck({ ...good, hypervisorPresent: false }).fix).toMatch(/virtualisation/);
  });
  it('not an administrator nor in Hyper-V Administrators', () => {
    const c = hypervCheck({ ...good, isAdmin: false, inHyperVAdministrators: false });
    expect(c).toMatchObject({ status: 'fail', fix: expect.stringMatching(/S-1-5-32-578/) });
  });
});
