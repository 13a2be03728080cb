// The Hyper-V runner against a fake powershell (test/fakes/powershell.mjs; Hyper-V runs on Windows
// only): create, start, state, graceful stop, forced stop, crash, re-adoption — with a hostile VM name
// that must reach the cmdlets verbatim, never evaluated (T-44).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HVSOCK_REGISTRATION_WHY, registerServiceScript, serviceRegisteredScript, type HypervVmSpec } from '../../helpers/berthd/hypervisors/hypervScripts.ts';
import { ConsoleFollower } from '../../helpers/berthd/hypervisors/consoleFollower.ts';
import { HypervVm, PipeToFile } from '../../helpers/berthd/hypervisors/hypervVm.ts';
import { powershellRunner, PowerShellError } from '../../helpers/berthd/hypervisors/powershellRunner.ts';
import { repoRoot } from '../image/imageVm.ts';
import { consoleStandIn } from './fixtures/fakeHypervOptions.ts';

const FAKE = join(repoRoot, 'test', 'fakes', 'powershell.mjs');
const HOSTILE = "berth $(Stop-Computer) `whoami`; 'quoted' ‘smart’ \"dq\" & | ü";
let dir: string;
let env: NodeJS.ProcessEnv;
let consoleServer: Server;
let vms: HypervVm[] = [];

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hv-'));
  env = { ...process.env, FAKE_PS_STATE: join(dir, 'state.json'), FAKE_PS_LOG: join(dir, 'ps.log') };
  vms = [];
  configWrites = [];
  // COM1: the VM's serial console.
  consoleServer = await consoleStandIn(join(dir, 'com1.sock'), 'UEFI\r\nberth: init (uptime 0.9s)\r\nberth: docker ready (uptime 8.0s)\r\n');
});
afterEach(async () => {
  for (const vm of vms) if (vm.running) await vm.kill();
  consoleServer.close();
  rmSync(dir, { recursive: true, force: true });
});

function spec(): HypervVmSpec {
  return { name: HOSTILE, vmDir: 'C:\\Users\\ann\\AppData\\Local\\Berth\\vm', cpus: 2, memoryMiB: 2048, dataDisk: 'C:\\Users\\ann\\AppData\\Local\\Berth\\data.vhdx', configDisk: 'C:\\Users\\ann\\AppData\\Local\\Berth\\config.vhd', bootIso: 'C:\\Program Files\\Berth\\berth.iso', consolePipe: '\\\\.\\pipe\\berth_console', switchName: 'Default Switch' };
}

/** The spec as it reaches PowerShell; the console pipe is the unix stand-in on this host. */
/** The PowerShell operations run before each write of the config disk. */
let configWrites: string[][] = [];
async function start(extraEnv: NodeJS.ProcessEnv = {}, pollMs = 100): Promise<HypervVm> {
  const ps = powershellRunner(FAKE, { env: { ...env, ...extraEnv } });
  const vm = await HypervVm.start(ps, spec(), { consoleLog: join(dir, 'console.log'), diskBytes: 64 * 1024 ** 3, pollMs, writeConfigDisk: () => configWrites.push(calls().map((c) => c.op)) });
  vms.push(vm);
  return vm;
}

const calls = (): { op: string; params: Record<string, unknown> }[] =>
  readFileSync(env.FAKE_PS_LOG!, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { op: string; params: Record<string, unknown> });
const state = (): { vms: Record<string, { state: string; generation: number; secureBoot: boolean; cpus: number; memoryBytes: number; dvd: string; configDisk?: string }>; vhds: Record<string, number> } =>
  JSON.parse(readFileSync(env.FAKE_PS_STATE!, 'utf8'));

describe('Hyper-V runner (fake powershell)', () => {
  it('fake: start creates the disk and a Gen 2 VM without Secure Boot, starts it, and the hostile name arrives verbatim', async () => {
    const vm = await start();
    expect(vm.running).toBe(true);
    expect(calls().map((c) => c.op)).toEqual(['state', 'ensureDisk', 'create', 'start']);
    for (const c of calls()) expect(c.params.Name ?? HOSTILE).toBe(HOSTILE);
    const created = state().vms[HOSTILE]!;
    expect(created).toMatchObject({ state: 'Running', generation: 2, secureBoot: false, cpus: 2, memoryBytes: 2048 * 1024 ** 2 });
    expect(state().vhds['C:\\Users\\ann\\AppData\\Local\\Berth\\data.vhdx']).toBe(64 * 1024 ** 3);
  });

  it('fake: the config disk is written once Hyper-V says the VM is missing, before any disk is attached, and attached at SCSI 0:2', async () => {
    await start();
    expect(configWrites).toEqual([['state']]);
    expect(state().vms[HOSTILE]!.configDisk).toBe('C:\\Users\\ann\\AppData\\Local\\Berth\\config.vhd');
    expect(calls().find((c) => c.op === 'create')!.params.ConfigDisk).toBe('C:\\Users\\ann\\AppData\\Local\\Berth\\config.vhd');
  });

  it('fake: a VM created before Berth had a config disk gets it when it is configured for the next start; a running VM\'s disk is not rewritten', async () => {
    // No background state polls here (a minute apart): the list of operations must be the starts' own,
    // and a loaded machine once slipped the first VM's 100 ms poll in beside its turnOff.
    await start({}, 60_000);
    await vms[0]!.kill();
    const s = state();
    delete s.vms[HOSTILE]!.configDisk;
    writeFileSync(env.FAKE_PS_STATE!, JSON.stringify(s));
    const again = await start({}, 60_000);
    expect(configWrites).toEqual([['state'], ['state', 'ensureDisk', 'create', 'start', 'turnOff', 'state']]);
    expect(state().vms[HOSTILE]!.configDisk).toBe('C:\\Users\\ann\\AppData\\Local\\Berth\\config.vhd');
    await expect(start()).rejects.toThrow(/already running/);
    expect(configWrites).toHaveLength(2);
    expect(again.running).toBe(true);
  });

  it('fake: a graceful stop is Stop-VM; the VM goes Stopping then Off, and the runner sees it', async () => {
    const vm = await start();
    const r = await vm.powerdown(10_000);
    expect(r.graceful).toBe(true);
    expect((await vm.exited).stderr).toBe('Hyper-V reports the VM Off');
    expect(calls().map((c) => c.op)).not.toContain('turnOff');
  });

  it('fake: a guest that does not shut down is turned off (-TurnOff) after the timeout', async () => {
    const vm = await start({ FAKE_PS_GRACEFUL: 'ignore' });
    const r = await vm.powerdown(1000);
    expect(r.graceful).toBe(false);
    expect(calls().map((c) => c.op)).toContain('turnOff');
    expect(state().vms[HOSTILE]!.state).toBe('Off');
  });

  it('fake: a crash (the VM goes Off by itself) resolves exited and fails console waits', async () => {
    const vm = await start();
    const s = state();
    s.vms[HOSTILE]!.state = 'Off';
    writeFileSync(env.FAKE_PS_STATE!, JSON.stringify(s));
    expect((await vm.exited).stderr).toBe('Hyper-V reports the VM Off');
    await expect(vm.console.waitFor(/never/, 1000)).rejects.toThrow(/Hyper-V reports the VM Off/);
  });

  it('fake: the COM1 pipe (a unix socket stands in) is copied into the console log', async () => {
    const copier = new PipeToFile(join(dir, 'com1.sock'), join(dir, 'com1.log'));
    const f = new ConsoleFollower(join(dir, 'com1.log'));
    try {
      await f.waitFor(/^berth: docker ready/, 10_000);
    } finally {
      copier.stop();
      f.stop();
    }
  });

  it('fake: a restarted berthd re-adopts a running VM; starting it twice is refused', async () => {
    const vm = await start();
    const ps = powershellRunner(FAKE, { env });
    await expect(HypervVm.start(ps, spec(), { consoleLog: join(dir, 'c2.log'), diskBytes: 64 * 1024 ** 3 })).rejects.toThrow(/already running; re-adopt it/);
    const adopted = await HypervVm.adopt(ps, spec(), { consoleLog: join(dir, 'c3.log'), diskBytes: 64 * 1024 ** 3, pollMs: 100 });
    expect(adopted).toBeDefined();
    vms.push(adopted!);
    await adopted!.kill();
    expect((await vm.exited).stderr).toContain('Off');
  });

  it('fake: the disk grows and is never shrunk', async () => {
    await start();
    await vms[0]!.kill();
    const ps = powershellRunner(FAKE, { env });
    const smaller = await HypervVm.start(ps, spec(), { consoleLog: join(dir, 'c4.log'), diskBytes: 32 * 1024 ** 3, pollMs: 100 });
    vms.push(smaller);
    expect(state().vhds['C:\\Users\\ann\\AppData\\Local\\Berth\\data.vhdx']).toBe(64 * 1024 ** 3);
    expect(calls().filter((c) => c.op === 'create')).toHaveLength(1);
  });

  it('fake: a stopped VM is brought to the new CPUs, memory and boot ISO before it starts again (not created twice)', async () => {
    await start();
    await vms[0]!.kill();
    const ps = powershellRunner(FAKE, { env });
    const again = await HypervVm.start(ps, { ...spec(), cpus: 4, memoryMiB: 4096, bootIso: 'C:\\Program Files\\Berth 2\\hyperv-boot.iso' }, { consoleLog: join(dir, 'c6.log'), diskBytes: 64 * 1024 ** 3, pollMs: 100 });
    vms.push(again);
    expect(calls().map((c) => c.op).slice(-4)).toEqual(['state', 'ensureDisk', 'configure', 'start']);
    expect(calls().filter((c) => c.op === 'create')).toHaveLength(1);
    expect(state().vms[HOSTILE]).toMatchObject({ state: 'Running', cpus: 4, memoryBytes: 4096 * 1024 ** 2, dvd: 'C:\\Program Files\\Berth 2\\hyperv-boot.iso' });
  });

  it('fake: registering the hvsock service GUID, and PowerShell errors carry the cmdlet message', async () => {
    const ps = powershellRunner(FAKE, { env });
    expect(await ps(serviceRegisteredScript())).toEqual({ registered: false });
    expect(await ps(registerServiceScript())).toEqual({ registered: true });
    expect(await ps(serviceRegisteredScript())).toEqual({ registered: true });
    expect(HVSOCK_REGISTRATION_WHY).toMatch(/administrator once/);
    expect(await HypervVm.adopt(ps, { ...spec(), name: 'x' }, { consoleLog: join(dir, 'c5.log'), diskBytes: 1 })).toBeUndefined();
    await expect(powershellRunner(FAKE, { env })(`# berth-hyperv:start\n$ErrorActionPreference = 'Stop'\n$ProgressPreference = 'SilentlyContinue'\n$Name = 'nobody'\nStart-VM`)).rejects.toThrow(
      new PowerShellError('start', 1, 'Start-VM : there is no Hyper-V VM named nobody').message,
    );
  });
});
