// berthd's VM manager driving the HyperKit driver end to end against a fake hyperkit (HyperKit runs on
// Intel Macs only) that hosts the real berth-agent on HyperKit's vsock forward socket: start (raw disk,
// argv with the driver's kernel parameters, the link, Docker on the host socket), a berthd crash and
// re-adoption through the pid file, and the graceful stop through the agent's shutdown RPC.
import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_DISK } from '../../helpers/api/settings.ts';
import { FakeDockerServer } from '../../helpers/berthd/docker/fakeDockerServer.ts';
import { hyperkitFiles } from '../../helpers/berthd/hypervisors/hyperkitDriver.ts';
import { processAlive } from '../../helpers/berthd/host/processLiveness.ts';
import { berthPaths, type BerthPaths } from '../../helpers/berthd/paths.ts';
import { SettingsService } from '../../helpers/berthd/settings/settingsService.ts';
import { VmManager } from '../../helpers/berthd/vm/vmManager.ts';
import { readVmRecord } from '../../helpers/berthd/vm/vmRecord.ts';
import { buildAgent } from '../guestLink/agentHarness.ts';
import { repoRoot } from '../image/imageVm.ts';
import { fakeHyperkitOptions } from './fixtures/fakeHyperkitOptions.ts';

const CHILD = join(repoRoot, 'test', 'drivers', 'fixtures', 'hyperkitBerthd.ts');
let home: string;
let paths: BerthPaths;
let docker: FakeDockerServer;
let berthd: ChildProcess | undefined;
const agentPids = (): number[] => (existsSync(join(home, 'agent-pids')) ? readFileSync(join(home, 'agent-pids'), 'utf8').trim().split('\n').map(Number) : []);

/** GET `path` from Docker through Berth's host socket. */
function dockerGet(path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: paths.dockerSocket, path, method: 'GET' }, (res) => {
      let body = '';
      res.on('data', (d) => (body += String(d)));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'bhk-')); // short: HyperKit's vsock socket path must fit in 104 bytes
  paths = berthPaths(home);
  docker = new FakeDockerServer();
  docker.on('GET', '/_ping', (_req, res) => res.end('OK'));
  docker.on('GET', '/version', { json: { Version: '27.0.0-fake', ApiVersion: '1.45' } });
  docker.on('GET', '/containers/json', { json: [] });
  await docker.listen();
  const agent = join(home, 'berth-agent');
  buildAgent(agent);
  mkdirSync(join(home, 'docker-config'));
  Object.assign(process.env, {
    FAKE_HYPERKIT_AGENT: agent,
    FAKE_HYPERKIT_DOCKER: docker.socketPath,
    FAKE_HYPERKIT_AGENT_PIDS: join(home, 'agent-pids'),
    FAKE_HYPERKIT_LOG: join(home, 'hyperkit-argv.log'),
    DOCKER_CONFIG: join(home, 'docker-config'),
  });
}, 120_000);

afterAll(async () => {
  berthd?.kill('SIGKILL');
  const pidFile = hyperkitFiles(paths).pidFile;
  const hk = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8')) : 0;
  for (const pid of [hk, ...agentPids()]) {
    if (pid > 1 && processAlive(pid)) process.kill(pid, 'SIGKILL');
  }
  await docker.close();
  rmSync(home, { recursive: true, force: true });
});

describe('VmManager with the HyperKit driver (fake hyperkit, real agent)', () => {
  it('fake: a berthd starts the VM through the driver: raw sparse disk, HyperKit argv with berth.link=vsock, the vsock link, Docker on the host socket', async () => {
    berthd = spawn(process.execPath, ['--import', 'tsx', CHILD, home], { cwd: repoRoot, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    berthd.stderr!.on('data', (d) => (err += String(d)));
    const line = await new Promise<string>((resolve) => berthd!.stdout!.once('data', (d) => resolve(String(d).trim())));
    expect(line, err).toBe('running');

    const f = hyperkitFiles(paths);
    const argv = JSON.parse(readFileSync(process.env.FAKE_HYPERKIT_LOG!, 'utf8').trim().split('\n')[0]!) as string[];
    const kexec = argv[argv.indexOf('-f') + 1]!;
    expect(kexec).toMatch(/^kexec,.*\/kernel,.*\/initrd\.img,console=ttyS0 .*berth\.link=vsock:3047/);
    expect(argv).toContain(`2:0,virtio-blk,${f.dataDisk}`);
    expect(argv).toContain(`3:0,virtio-blk,${paths.configDisk},ro`);
    expect(statSync(f.dataDisk).size).toBe(DEFAULT_DISK);
    expect(statSync(f.dataDisk).blocks).toBe(0); // sparse: nothing written
    const record = readVmRecord(paths.vmRecord);
    expect(record).toMatchObject({ driver: 'hyperkit', dataDisk: f.dataDisk, accel: { accel: 'hvf' } });
    expect(Number(readFileSync(f.pidFile, 'utf8'))).toBe(record!.pid);
    expect(err).toMatch(/driver: HyperKit \(driver hyperkit is set in settings\)|driver: HyperKit/);
    expect(err).toMatch(/running: Docker 27\.0\.0-fake/);

    expect(await dockerGet('/_ping')).toEqual({ status: 200, body: 'OK' });
    expect(JSON.parse((await dockerGet('/version')).body)).toMatchObject({ Version: '27.0.0-fake' });
  }, 120_000);

  it('fake: after berthd is killed, the next one re-adopts HyperKit from its pid file, serves Docker again, and stops it through the agent (exit 0); a soft lockup on the console turns it degraded', async () => {
    const f = hyperkitFiles(paths);
    const hkPid = Number(readFileSync(f.pidFile, 'utf8'));
    berthd!.kill('SIGKILL');
    await new Promise((r) => berthd!.once('exit', r));
    berthd = undefined;
    expect(processAlive(hkPid)).toBe(true); // the VM outlives berthd (T-27)

    const logs: string[] = [];
    const log = (m: string): void => void logs.push(m);
    const manager = new VmManager(paths, new SettingsService(paths.settingsFile, paths.dataDisk, log), log, undefined, fakeHyperkitOptions());
    expect(await manager.adoptIfRunning()).toBe(true);
    expect(manager.adopted).toBe(true);
    expect(manager.vm?.pid).toBe(hkPid);
    expect(manager.accel).toMatchObject({ accel: 'hvf' });
    expect(logs.join('\n')).toMatch(new RegExp(`re-adopting the VM an earlier berthd started \\(HyperKit pid ${hkPid}, up \\d+ s\\)`));
    expect(await dockerGet('/_ping')).toEqual({ status: 200, body: 'OK' });

    // The guest kernel reports itself stuck on the console (the line our CI's TCG guest printed):
    // status turns degraded with what it means and what to do.
    appendFileSync(paths.consoleLog, '[   56.516494] watchdog: BUG: soft lockup - CPU#0 stuck for 45s! [exe:534]\n');
    const deadline = Date.now() + 5000;
    while (manager.state.state === 'running' && manager.state.degraded.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(manager.state).toMatchObject({ state: 'running', degraded: [{ what: 'guest-kernel' }] });
    const reason = manager.state.state === 'running' ? manager.state.degraded[0]!.message : '';
    expect(reason).toMatch(/^the VM's kernel reports CPU 0 stuck for 45 s \(in exe\): a soft lockup/);
    expect(reason).toContain(paths.consoleLog);
    expect(logs.join('\n')).toMatch(/guest kernel: \[ +56\.516494\] watchdog: BUG: soft lockup/);

    const stopped = await manager.stop(20);
    expect(stopped.graceful).toBe(true);
    expect(stopped.message).toMatch(/shut down cleanly/);
    expect(processAlive(hkPid)).toBe(false);
    expect(existsSync(f.pidFile)).toBe(false); // HyperKit removes it at a normal exit
    expect(existsSync(paths.vmRecord)).toBe(false);
    expect(manager.state.state).toBe('stopped');
  }, 120_000);
});
