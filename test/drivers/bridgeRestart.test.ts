// T-26 on berthd's Windows Docker endpoint with the real hvsock-bridge (built for Linux; unix sockets
// standing in for the pipes): the public endpoint's bridge killed with SIGKILL by its pid is started
// again with the same argv, says it is down until it listens again, and Docker answers on the public
// endpoint again; close() while a restart waits leaves no bridge behind; a killed berthd's bridge ends too.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeDockerServer } from '../../helpers/berthd/docker/fakeDockerServer.ts';
import { HostDockerEndpoint } from '../../helpers/berthd/forward/hostDockerEndpoint.ts';
import { socketAnswers } from '../../helpers/berthd/forward/unixSocketClaim.ts';
import { processAlive } from '../../helpers/berthd/host/processLiveness.ts';
import { bridgeArgv } from '../../helpers/berthd/hypervisors/hvsockBridgeArgs.ts';
import { repoRoot } from '../image/imageVm.ts';
import { argvOf, bridgePids, until } from './fixtures/bridgeProcesses.ts';
import { buildHvsockBridge, pingingDocker, unixGet } from './fixtures/dockerStandIns.ts';

let dir: string;
let bridgeBin: string;
let docker: FakeDockerServer;
const endpoints: HostDockerEndpoint[] = [];

const answersPing = (path: string): Promise<boolean> => unixGet(path, '/_ping').then((r) => r.status === 200 && r.body === 'OK', () => false);
const refuses = async (path: string): Promise<boolean> => !(await socketAnswers(path));

function endpoint(name: string): { e: HostDockerEndpoint; pub: string; trouble: [string, string | undefined][]; logs: string[] } {
  const pub = join(dir, `${name}-public.sock`);
  const trouble: [string, string | undefined][] = [];
  const logs: string[] = [];
  const e = new HostDockerEndpoint({
    platform: 'win32',
    serverEndpoint: join(dir, `${name}-private.sock`),
    openStream: () => connect(docker.socketPath),
    log: (m) => logs.push(m),
    bridgeBinary: bridgeBin,
    bridgeArgvs: (priv, pid) => [bridgeArgv({ listen: { kind: 'unix', path: pub }, dial: { kind: 'unix', path: priv }, serverPid: pid })],
    helperState: (h, w) => trouble.push([h, w]),
  });
  endpoints.push(e);
  return { e, pub, trouble, logs };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bdrs-'));
  bridgeBin = buildHvsockBridge(dir);
  docker = await pingingDocker();
}, 120_000);

afterAll(async () => {
  for (const e of endpoints) await e.close();
  await docker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('T-26: the public Docker endpoint\'s bridge killed (real hvsock-bridge, unix sockets standing in for pipes)', () => {
  it('T-26: kill -9 of the bridge: started again with the same argv, down then back, and Docker answers on the public endpoint again', async () => {
    const { e, pub, trouble, logs } = endpoint('a');
    await e.listen();
    expect(await answersPing(pub)).toBe(true);
    const [first] = e.bridgePids;
    expect(bridgePids(bridgeBin, `unix:${pub}`)).toEqual([first]);
    const argv = argvOf(first!);

    const t0 = Date.now();
    process.kill(first!, 'SIGKILL');
    await until('the public endpoint answers again', () => answersPing(pub));
    const ms = Date.now() - t0;
    console.log(`T-26 Docker pipe bridge: kill -9 to Docker answering on the public endpoint again: ${ms} ms`);

    expect(processAlive(first!)).toBe(false);
    const [second] = e.bridgePids;
    expect(second).not.toBe(first);
    expect(argvOf(second!)).toBe(argv);
    await until('the bridge says it serves again', () => trouble.length === 2);
    expect(trouble).toEqual([
      [`hvsock-bridge for unix:${pub}`, expect.stringMatching(/^hvsock-bridge for unix:\S+ exited \(SIGKILL\): hvsock-bridge: unix:\S+ -> unix:\S+; berthd is starting it again$/)],
      [`hvsock-bridge for unix:${pub}`, undefined],
    ]);
    expect(logs.join('\n')).toMatch(/starting it again in 0\.2 s \(exit 1 in a row\)[\s\S]*serves again \(pid \d+, restart 1\)/);
    // Many requests, not one lucky one: the restarted bridge serves like the first.
    const answers = await Promise.all(Array.from({ length: 20 }, () => unixGet(pub, '/_ping')));
    expect(answers.every((a) => a.status === 200 && a.body === 'OK')).toBe(true);

    // A second kill is restarted too (the count of exits in a row goes on; its delay doubles).
    process.kill(second!, 'SIGKILL');
    await until('the public endpoint answers after a second kill', async () => e.bridgePids.length === 1 && e.bridgePids[0] !== second && (await answersPing(pub)));
    expect(logs.join('\n')).toMatch(/starting it again in 0\.4 s \(exit 2 in a row\)/);

    await e.close();
    expect(bridgePids(bridgeBin, `unix:${pub}`)).toEqual([]);
    expect(await refuses(pub)).toBe(true);
  });

  it('T-26: close() while the killed bridge waits to be restarted: it is not restarted and no bridge is left', async () => {
    const { e, pub, trouble } = endpoint('b');
    await e.listen();
    const [pid] = e.bridgePids;
    process.kill(pid!, 'SIGKILL');
    await until('the bridge is seen down', () => trouble.length === 1);
    await e.close();
    await new Promise((r) => setTimeout(r, 500));
    expect(bridgePids(bridgeBin, `unix:${pub}`)).toEqual([]);
    expect(trouble).toHaveLength(1);
    expect(await refuses(pub)).toBe(true);
  });

  it('a berthd killed with SIGKILL leaves no bridge holding the public endpoint: its stdin lifeline ends it', async () => {
    const pub = join(dir, 'c-public.sock');
    const berthd = spawn(process.execPath, ['--import', 'tsx', join(repoRoot, 'test', 'drivers', 'fixtures', 'bridgeBerthd.ts'), bridgeBin, pub, join(dir, 'c-private.sock'), docker.socketPath], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    berthd.stderr!.on('data', (d) => (err += String(d)));
    const line = await new Promise<string>((resolve) => berthd.stdout!.once('data', (d) => resolve(String(d).trim())));
    expect(line, err).toMatch(/^listening \d+$/);
    const pid = Number(line.split(' ')[1]);
    expect(bridgePids(bridgeBin, `unix:${pub}`)).toEqual([pid]);
    expect(argvOf(pid)).toContain('-exit-on-stdin-eof');
    expect(await answersPing(pub)).toBe(true);
    berthd.kill('SIGKILL');
    await until('the bridge ends with its berthd', () => !processAlive(pid), 10_000);
    expect(bridgePids(bridgeBin, `unix:${pub}`)).toEqual([]);
    expect(await refuses(pub)).toBe(true);
  });
});
