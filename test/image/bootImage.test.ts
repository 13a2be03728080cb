// Boots the built VM image under QEMU/TCG three times on one disk and proves, from the host side:
// docker ready + self-test, persistence, clean ACPI shutdown (T-30), online growth, kill -9 recovery (T-25/T-29).
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { QemuProcess } from '../../helpers/berthd/hypervisors/qemuProcess.ts';
import { writeConfigDisk } from '../../helpers/berthd/vm/configDisk.ts';
import { bootImage, builtImage, createQcow2, markerUptime, workDir } from './imageVm.ts';

const BOOT_TIMEOUT = 240_000;
const work = workDir('image');
const disk = join(work.dir, 'data.qcow2');
const running = new Set<QemuProcess>();
const figures: Record<string, number | string> = {};

function track(vm: QemuProcess): QemuProcess {
  running.add(vm);
  void vm.exited.then(() => running.delete(vm));
  return vm;
}

async function shutdownGracefully(vm: QemuProcess): Promise<number> {
  const from = vm.console.lines.length;
  const { graceful, ms } = await vm.powerdown(30_000);
  expect(graceful, `ACPI shutdown did not finish in 30 s:\n${vm.console.tail(25)}`).toBe(true);
  await vm.console.waitFor(/^berth: shutdown: disk unmounted/, 1, from);
  return ms;
}

beforeAll(() => {
  builtImage();
  createQcow2(disk, '4G');
});

afterAll(async () => {
  for (const vm of running) await vm.kill();
  console.log(`image boot figures: ${JSON.stringify(figures)}`);
  work.cleanup();
});

describe('the VM image under QEMU (TCG)', () => {
  it('boots from a plain QEMU command line with no configuration, formats its disk, runs a container, and powers off on ACPI', async () => {
    const { kernel, initrd } = builtImage();
    const consoleLog = join(work.dir, 'plain.log');
    const qmpSocket = join(work.dir, 'plain-qmp.sock');
    // Deliberately not Berth's argv builder: the defaults a user would type by hand (with TCG on one
    // thread: QEMU 7.2's multi-threaded TCG can lock the guest up at a container's start, qemuArgs.ts).
    const vm = track(
      QemuProcess.spawnArgv(
        [
          '-accel', 'tcg,thread=single', '-m', '2048', '-smp', '2', '-nographic', '-nodefaults',
          '-kernel', kernel, '-initrd', initrd,
          '-append', 'console=ttyS0 berth.selftest=import:first-boot-token,listeners:-,supervise:-',
          '-drive', `file=${disk},if=virtio,format=qcow2`,
          '-nic', 'user,model=virtio',
          '-serial', `file:${consoleLog}`,
          '-qmp', `unix:${qmpSocket},server=on,wait=off`,
        ],
        { consoleLog, qmpSocket },
      ),
    );
    await vm.console.waitFor(/^berth: init /, BOOT_TIMEOUT);
    await vm.console.waitFor(/^berth: disk formatted /, BOOT_TIMEOUT);
    const ready = await vm.console.waitFor(/^berth: docker ready version=(\S+)/, BOOT_TIMEOUT);
    figures.firstBootDockerReadyUptime = markerUptime(ready.input!);
    const result = await vm.console.waitFor(/^berth: selftest: (ok|FAIL)\b.*/, BOOT_TIMEOUT);
    expect(result[0]).toMatch(/^berth: selftest: ok token=first-boot-token /);
    // dockerd has no TCP listener, nor anything else in the guest (T-01, T-03: the API is on its unix socket only).
    const listeners = await vm.console.waitFor(/^berth: selftest: (no tcp listeners|FAIL tcp listeners.*)/, BOOT_TIMEOUT);
    expect(listeners[1]).toBe('no tcp listeners');
    // Services are supervised: dockerd killed with SIGKILL comes back and answers again.
    const supervised = await vm.console.waitFor(/^berth: selftest: (dockerd restarted by its supervisor in ([\d.]+)s|FAIL.*)/, BOOT_TIMEOUT);
    expect(supervised[1]).toMatch(/^dockerd restarted/);
    figures.dockerdRestartSeconds = Number(supervised[2]);
    await vm.console.waitFor(/^berth: service dockerd exited; restart #1/, 1);
    await vm.console.waitFor(/^berth: network up eth0 10\.0\.2\.15\/24/, 1);
    figures.shutdownMs = await shutdownGracefully(vm);
    expect((await vm.exited).signal).toBeNull();
  });

  it('boots with a config disk on a grown disk: the fs is clean after the ACPI shutdown, grown online, and the image persisted', async () => {
    execFileSync('qemu-img', ['resize', '-q', disk, '+1G']);
    const configDisk = join(work.dir, 'config.tar');
    writeConfigDisk(configDisk, { hostname: 'berth-selftest', daemonJson: { 'log-level': 'warn' }, environment: { BERTH_TEST: "it's set" } });
    const vm = track(bootImage(work.dir, { disk, configDisk, cmdlineExtra: 'berth.selftest=verify:second-boot-token,write:kill-me' }));
    const config = await vm.console.waitFor(/^berth: config loaded:(.*)\(uptime/, BOOT_TIMEOUT);
    expect(config[1]).toContain('hostname=berth-selftest');
    expect(config[1]).toContain('daemon.json');
    expect(config[1]).toContain('environment');
    const diskReady = await vm.console.waitFor(/^berth: disk ready \/dev\/vd\w fsck=(\d+) \(([\w -]+)\) size=(\d+)k/, BOOT_TIMEOUT);
    expect(diskReady[1], 'e2fsck after a clean ACPI shutdown').toBe('0');
    expect(diskReady[2], 'a clean unmount leaves no journal to replay').toBe('clean');
    expect(Number(diskReady[3]), 'file system grown online to the 5 GiB disk').toBeGreaterThan(4.5 * 1024 * 1024);
    const ready = await vm.console.waitFor(/^berth: docker ready /, BOOT_TIMEOUT);
    figures.secondBootDockerReadyUptime = markerUptime(ready.input!);
    const verify = await vm.console.waitFor(/^berth: selftest: (persisted|FAIL)\b.*/, BOOT_TIMEOUT);
    expect(verify[0]).toMatch(/^berth: selftest: persisted token=second-boot-token /);
    // Power loss in the middle of fsync'd writes to the data disk.
    await vm.console.waitFor(/^berth: selftest: writing/, BOOT_TIMEOUT);
    await new Promise((r) => setTimeout(r, 3000));
    const exit = await vm.kill();
    expect(exit.signal).toBe('SIGKILL');
  });

  it('after kill -9 mid-write, the next boot repairs or finds the disk clean and docker still starts with the image', async () => {
    const vm = track(bootImage(work.dir, { disk, cmdlineExtra: 'berth.selftest=verify:after-kill-token' }));
    const diskReady = await vm.console.waitFor(/^berth: disk ready \/dev\/vd\w fsck=(\d+) \(([\w -]+)\)/, BOOT_TIMEOUT);
    expect(['0', '1']).toContain(diskReady[1]);
    expect(diskReady[2], 'the kill left the file system mounted: its journal must be replayed').toMatch(/journal-replayed/);
    figures.fsckAfterKill = diskReady[2]!;
    await vm.console.waitFor(/^berth: docker ready /, BOOT_TIMEOUT);
    const verify = await vm.console.waitFor(/^berth: selftest: (persisted|FAIL)\b.*/, BOOT_TIMEOUT);
    expect(verify[0]).toMatch(/^berth: selftest: persisted token=after-kill-token /);
    await shutdownGracefully(vm);
  });
});
