// Which driver runs the VM, from the setting and the host; and the files each driver keeps.
import { describe, expect, it } from 'vitest';
import { berthPaths } from '../paths.ts';
import { HostProblem } from './driver.ts';
import { chooseDriver, driverRuntime } from './driverChoice.ts';
import { hyperkitFiles } from './hyperkitDriver.ts';
import { hypervFiles, hypervMemoryMiB } from './hypervDriver.ts';

const linux = { platform: 'linux', arch: 'x64' };
const intelMac = { platform: 'darwin', arch: 'x64' };
const appleSilicon = { platform: 'darwin', arch: 'arm64' };
const windows = { platform: 'win32', arch: 'x64' };

describe('chooseDriver', () => {
  it('QEMU by default, on every OS', () => {
    for (const host of [linux, intelMac, appleSilicon, windows]) expect(chooseDriver('qemu', host)).toMatchObject({ ok: true, driver: 'qemu', why: 'QEMU, the default on every OS' });
  });
  it('HyperKit when chosen on an Intel Mac; refused with what to do on Apple Silicon and elsewhere', () => {
    expect(chooseDriver('hyperkit', intelMac)).toMatchObject({ ok: true, driver: 'hyperkit' });
    const arm = chooseDriver('hyperkit', appleSilicon);
    expect(arm.ok).toBe(false);
    expect(!arm.ok && arm.problem).toBeInstanceOf(HostProblem);
    expect(!arm.ok && arm.problem.message).toMatch(/Apple Silicon/);
    expect(!arm.ok && arm.problem.hint).toBe('berth settings set driver=qemu (QEMU runs on every OS)');
    expect(chooseDriver('hyperkit', linux).ok).toBe(false);
  });
  it('Hyper-V when chosen on Windows only', () => {
    expect(chooseDriver('hyperv', windows)).toMatchObject({ ok: true, driver: 'hyperv' });
    expect(chooseDriver('hyperv', intelMac).ok).toBe(false);
  });
});

describe('driver runtimes', () => {
  const paths = berthPaths('/home/ann/.berth');
  const ctx = { paths, log: () => {}, imageDir: '/opt/berth/image', guestShutdown: () => Promise.resolve() };
  it('QEMU keeps the qcow2 disk and QEMU\'s link socket exactly where they were', () => {
    const q = driverRuntime('qemu', ctx);
    expect(q).toMatchObject({ name: 'qemu', diskFormat: 'qcow2', dataDisk: paths.dataDisk, hostAcpi: true, sharesSupported: true, hostForwards: true, linkKernelParams: [] });
    expect(q.fixedAccel).toBeUndefined();
    expect(q.linkEndpoint()).toBe(paths.guestLinkSocket);
  });
  it('HyperKit: its own raw disk, pid file, and the vsock forward socket as the link', () => {
    const h = driverRuntime('hyperkit', ctx);
    expect(h).toMatchObject({ name: 'hyperkit', diskFormat: 'raw', dataDisk: '/home/ann/.berth/vm/data.raw', hostAcpi: false, sharesSupported: true, fixedAccel: { accel: 'hvf' } });
    expect(h.linkEndpoint()).toBe(`${hyperkitFiles(paths).vsockDir}/00000003.00000be7`);
    expect(hyperkitFiles(paths).pidFile).toBe('/home/ann/.berth/run/hyperkit.pid');
  });
  it('Hyper-V: a VHDX, the boot ISO beside the image, the bridge\'s pipe as the link; memory in even MiB', () => {
    const v = driverRuntime('hyperv', ctx);
    expect(v).toMatchObject({ name: 'hyperv', diskFormat: 'vhdx', dataDisk: '/home/ann/.berth/vm/data.vhdx', sharesSupported: true, sharesOver: 'link' });
    expect(driverRuntime('qemu', ctx).sharesOver ?? 'device', 'QEMU keeps its 9p/virtiofs devices').toBe('device');
    expect(driverRuntime('hyperkit', ctx).sharesOver ?? 'device', 'HyperKit keeps its virtio-9p').toBe('device');
    expect(v.linkEndpoint()).toBe('\\\\.\\pipe\\berth_link');
    expect(hypervFiles(paths, '/opt/berth/image').bootIso).toBe('/opt/berth/image/hyperv-boot.iso');
    expect([hypervMemoryMiB(2048), hypervMemoryMiB(2049), hypervMemoryMiB(100)]).toEqual([2048, 2048, 512]);
  });
});
