// T-26 through berthd's VM manager with the Hyper-V driver against a fake powershell (Hyper-V runs on
// Windows only): the real berth-agent plays the guest on a unix socket, and the real hvsock-bridge (built
// for Linux) serves both the guest link and the public Docker endpoint, unix sockets standing in for the
// pipes and the Hyper-V socket. Each bridge is killed with SIGKILL by its pid: it is started again,
// `status` (the VM state) goes degraded and back, the link reconnects, Docker answers on the public
// endpoint again; stopping the VM ends the supervision and leaves no bridge behind; a killed berthd's
// bridges end with it, and the next berthd re-adopts the VM with bridges of its own.
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { VmState } from '../../helpers/api/vmState.ts';
import { FakeDockerServer } from '../../helpers/berthd/docker/fakeDockerServer.ts';
import { processAlive } from '../../helpers/berthd/host/processLiveness.ts';
import { hypervBootCmdline, HYPERV_BOOT_ISO, mediumManifestPath, type MediumManifest } from '../../helpers/berthd/hypervisors/hypervBootMedium.ts';
import { LINK_BRIDGE } from '../../helpers/berthd/hypervisors/hypervDriver.ts';
import { berthPaths, type BerthPaths } from '../../helpers/berthd/paths.ts';
import { SettingsService } from '../../helpers/berthd/settings/settingsService.ts';
import { VmManager } from '../../helpers/berthd/vm/vmManager.ts';
import { buildAgent } from '../guestLink/agentHarness.ts';
import { repoRoot } from '../image/imageVm.ts';
import { bridgePids, until } from './fixtures/bridgeProcesses.ts';
import { consoleStandIn, fakeHypervOptions, type FakeHyperv } from './fixtures/fakeHypervOptions.ts';
import { buildHvsockBridge, unixGet } from './fixtures/dockerStandIns.ts';

const IMAGE = { cmdline: 'console=ttyS0 quiet', kernelVersion: '6.1.0-57-amd64', artifacts: { kernel: { sha256: 'k'.repeat(64) }, initrd: { sha256: 'i'.repeat(64) } } };

let home: string;
let paths: BerthPaths;
let bridgeBin: string;
let docker: FakeDockerServer;
let agent: ChildProcess;
let com1: Server;
let manager: VmManager;
const logs: string[] = [];
const states: VmState[] = [];
let berthd: ChildProcess | undefined;
const s: FakeHyperv = { home: '', bridgeBin: '', imageDir: '', link: '', agent: '', console: '', pub: '' };

const answersPing = (): Promise<boolean> => unixGet(s.pub, '/_ping').then((r) => r.status === 200 && r.body === 'OK', () => false);
const degraded = (): { what: string; message: string }[] => (manager.state.state === 'running' ? manager.state.degraded : []);

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'bhv-'));
  paths = berthPaths(home);
  bridgeBin = buildHvsockBridge(home);
  Object.assign(s, { home, bridgeBin, imageDir: join(home, 'image'), link: join(home, 'berth_link.sock'), agent: join(home, 'hvsock-agent.sock'), console: join(home, 'com1.sock'), pub: join(home, 'berth_docker.sock') });
  const agentBin = join(home, 'berth-agent');
  buildAgent(agentBin);
  docker = new FakeDockerServer();
  docker.on('GET', '/_ping', (_req, res) => res.end('OK'));
  docker.on('GET', '/version', { json: { Version: '27.0.0-fake', ApiVersion: '1.45' } });
  docker.on('GET', '/containers/json', { json: [] });
  await docker.listen();
  // The guest: berth-agent on the socket the link bridge dials in place of the VM's Hyper-V socket.
  agent = spawn(agentBin, ['serve', '-unix', s.agent, '-docker', docker.socketPath], { stdio: ['ignore', 'ignore', 'inherit'] });
  // COM1: the guest's console says it booted.
  com1 = await consoleStandIn(s.console, 'berth: init (uptime 0.9s)\r\n');
  // The boot medium built from "this" image, beside it.
  const imageDir = s.imageDir;
  mkdirSync(imageDir);
  writeFileSync(join(imageDir, 'manifest.json'), JSON.stringify(IMAGE));
  copyFileSync(join(imageDir, 'manifest.json'), join(imageDir, HYPERV_BOOT_ISO));
  const medium: MediumManifest = { iso: HYPERV_BOOT_ISO, bytes: 1, sha256: 's', cmdline: hypervBootCmdline(IMAGE.cmdline), kernelVersion: IMAGE.kernelVersion, image: { kernelSha256: 'k'.repeat(64), initrdSha256: 'i'.repeat(64) }, stub: { package: 'systemd-boot-efi', version: '252', sha256: 'x' } };
  writeFileSync(mediumManifestPath(join(imageDir, HYPERV_BOOT_ISO)), JSON.stringify(medium));
  mkdirSync(join(home, 'docker-config'));
  process.env.DOCKER_CONFIG = join(home, 'docker-config');

  const log = (m: string): void => void logs.push(m);
  const settings = new SettingsService(paths.settingsFile, paths.dataDisk, log);
  // No shares: the agent runs on this host, where share.mount must not mount anything.
  settings.change({ shares: [] });
  manager = new VmManager(paths, settings, log, undefined, fakeHypervOptions(s));
  manager.on('state', (st: VmState) => states.push(st));
}, 180_000);

afterAll(async () => {
  berthd?.kill('SIGKILL');
  if (manager?.state.state !== 'stopped') await manager?.stop(5).catch(() => undefined);
  agent?.kill('SIGKILL');
  com1?.close();
  await docker?.close();
  for (const pid of [...bridgePids(bridgeBin, `unix:${s.link}`), ...bridgePids(bridgeBin, `unix:${s.pub}`)]) process.kill(pid, 'SIGKILL');
  rmSync(home, { recursive: true, force: true });
});

/** The states since index `from`: one running and degraded with a `what` reason whose message matches, then a later one running with no reason. */
function degradedThenBack(from: number, what: string, message: RegExp): boolean {
  const after = states.slice(from);
  const down = after.findIndex((st) => st.state === 'running' && st.degraded.some((r) => r.what === what && message.test(r.message)));
  return down >= 0 && after.slice(down + 1).some((st) => st.state === 'running' && st.degraded.length === 0);
}

describe('VmManager with the Hyper-V driver: its bridges supervised (fake powershell, real agent and hvsock-bridge)', () => {
  it('fake: starts through the link bridge and serves Docker on the public endpoint through the Docker pipe bridge', async () => {
    await manager.start();
    expect(manager.state).toMatchObject({ state: 'running', degraded: [] });
    expect(logs.join('\n')).toMatch(/running: Docker 27\.0\.0-fake/);
    expect(bridgePids(bridgeBin, `unix:${s.link}`)).toHaveLength(1);
    expect(bridgePids(bridgeBin, `unix:${s.pub}`)).toHaveLength(1);
    expect(await answersPing()).toBe(true);
  }, 120_000);

  it('fake: T-26 kill -9 of the guest link bridge: restarted, the link reconnects (new HELLO), status degraded then back, Docker answers again', async () => {
    const [pid] = bridgePids(bridgeBin, `unix:${s.link}`);
    const oldSession = manager.session;
    const from = states.length;
    const t0 = Date.now();
    process.kill(pid!, 'SIGKILL');
    await until('the link is back and Docker answers on the public endpoint', async () => manager.session !== oldSession && manager.session?.isEstablished === true && degraded().length === 0 && (await answersPing()));
    console.log(`T-26 link bridge (fake Hyper-V): kill -9 to link reconnected and Docker answering: ${Date.now() - t0} ms`);
    expect(processAlive(pid!)).toBe(false);
    const now = bridgePids(bridgeBin, `unix:${s.link}`);
    expect(now).toHaveLength(1);
    expect(now[0]).not.toBe(pid);
    expect(degradedThenBack(from, 'helper', new RegExp(`^${LINK_BRIDGE} exited \\(SIGKILL\\)`))).toBe(true);
    expect(degradedThenBack(from, 'guest-link', /the guest link socket closed; berthd is reconnecting/)).toBe(true);
    expect(logs.join('\n')).toMatch(/guest link reconnected in \d+ ms/);
    // The VM was not rebooted: the same VM, still running, nothing restarted it.
    expect(manager.state.state).toBe('running');
    expect(logs.filter((l) => l.startsWith('start: booting'))).toHaveLength(1);
    // A new stream on the new session reaches dockerd in the guest.
    expect(JSON.parse((await unixGet(s.pub, '/version')).body)).toMatchObject({ Version: '27.0.0-fake' });
  }, 60_000);

  it('fake: T-26 kill -9 of the Docker pipe bridge: restarted with the same endpoint, status degraded then back, Docker answers on the public endpoint again', async () => {
    const [pid] = bridgePids(bridgeBin, `unix:${s.pub}`);
    const from = states.length;
    const t0 = Date.now();
    process.kill(pid!, 'SIGKILL');
    await until('Docker answers on the public endpoint again', async () => bridgePids(bridgeBin, `unix:${s.pub}`).some((p) => p !== pid) && degraded().length === 0 && (await answersPing()));
    console.log(`T-26 Docker pipe bridge (fake Hyper-V): kill -9 to Docker answering on the public endpoint: ${Date.now() - t0} ms`);
    expect(degradedThenBack(from, 'helper', new RegExp(`^hvsock-bridge for unix:\\S+berth_docker\\.sock exited \\(SIGKILL\\)`))).toBe(true);
    // The link was not touched.
    expect(states.slice(from).some((st) => st.state === 'running' && st.degraded.some((r) => r.what === 'guest-link'))).toBe(false);
  }, 60_000);

  it('fake: stopping the VM ends the supervision first: no bridge is restarted or left behind', async () => {
    const pids = [...bridgePids(bridgeBin, `unix:${s.link}`), ...bridgePids(bridgeBin, `unix:${s.pub}`)];
    expect(pids).toHaveLength(2);
    const mark = logs.length;
    const stopped = await manager.stop(20);
    expect(stopped.message).toMatch(/shut down cleanly/);
    expect(manager.state.state).toBe('stopped');
    await new Promise((r) => setTimeout(r, 500));
    for (const pid of pids) expect(processAlive(pid)).toBe(false);
    expect([...bridgePids(bridgeBin, `unix:${s.link}`), ...bridgePids(bridgeBin, `unix:${s.pub}`)]).toEqual([]);
    expect(logs.slice(mark).join('\n')).not.toMatch(/starting it again|serves again|guest link reconnected/);
  }, 60_000);

  it('fake: a berthd killed with SIGKILL: its bridges end with it, the VM runs on; the next berthd re-adopts it with bridges of its own', async () => {
    berthd = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'drivers', 'fixtures', 'hypervBerthd.ts'), JSON.stringify(s)], { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    berthd.stderr!.on('data', (d) => (err += String(d)));
    const line = await new Promise<string>((resolve) => berthd!.stdout!.once('data', (d) => resolve(String(d).trim())));
    expect(line, err).toBe('running');
    const old = [...bridgePids(bridgeBin, `unix:${s.link}`), ...bridgePids(bridgeBin, `unix:${s.pub}`)];
    expect(old).toHaveLength(2);
    berthd.kill('SIGKILL');
    await new Promise((r) => berthd!.once('exit', r));
    berthd = undefined;
    await until('the killed berthd\'s bridges end', () => old.every((p) => !processAlive(p)), 10_000);

    const adoptLogs: string[] = [];
    const log = (m: string): void => void adoptLogs.push(m);
    const next = new VmManager(paths, new SettingsService(paths.settingsFile, paths.dataDisk, log), log, undefined, fakeHypervOptions(s));
    const adopted = await next.adoptIfRunning();
    expect(adopted, adoptLogs.join('\n')).toBe(true);
    expect(adoptLogs.join('\n')).toMatch(/re-adopting the Hyper-V VM berth an earlier berthd started/);
    expect(await answersPing()).toBe(true);
    const mine = [...bridgePids(bridgeBin, `unix:${s.link}`), ...bridgePids(bridgeBin, `unix:${s.pub}`)];
    expect(mine).toHaveLength(2);
    expect(mine.some((p) => old.includes(p))).toBe(false);
    await next.stop(20);
    expect([...bridgePids(bridgeBin, `unix:${s.link}`), ...bridgePids(bridgeBin, `unix:${s.pub}`)]).toEqual([]);
  }, 120_000);
});
