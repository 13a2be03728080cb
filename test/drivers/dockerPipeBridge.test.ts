// The Windows Docker endpoint's chain with unix sockets standing in for the named pipes (no Windows
// here): docker → hvsock-bridge (the public endpoint, built from helpers/hvsock-bridge) → berthd's
// private endpoint (DockerSocketServer) → Docker; and a private endpoint squatted by another process
// is refused by the bridge's -dial-server-pid check.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeDockerServer } from '../../helpers/berthd/docker/fakeDockerServer.ts';
import { DockerSocketServer } from '../../helpers/berthd/forward/dockerSocketServer.ts';
import { bridgeArgv } from '../../helpers/berthd/hypervisors/hvsockBridgeArgs.ts';
import { DockerPipeBridges } from '../../helpers/berthd/hypervisors/windowsDockerPipe.ts';
import { buildHvsockBridge, pingingDocker, unixGet as get } from './fixtures/dockerStandIns.ts';

let dir: string;
let bridgeBin: string;
let docker: FakeDockerServer;
let berthd: DockerSocketServer;
let squatter: ChildProcess | undefined;
const bridges: DockerPipeBridges[] = [];

/** Until something accepts connections at `path` (the file appears at bind, before listen). */
async function waitFor(path: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const up = existsSync(path) && (await new Promise<boolean>((r) => connect(path).once('connect', function (this: ReturnType<typeof connect>) { this.destroy(); r(true); }).once('error', () => r(false))));
    if (up) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing listens at ${path}`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bpipe-'));
  bridgeBin = buildHvsockBridge(dir);
  docker = await pingingDocker();
  berthd = new DockerSocketServer(join(dir, 'berthd-private.sock'), () => connect(docker.socketPath));
  await berthd.listen();
}, 120_000);

afterAll(async () => {
  for (const b of bridges) await b.stop();
  squatter?.kill('SIGKILL');
  await berthd.close();
  await docker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the public Docker endpoint through hvsock-bridge to berthd (unix sockets standing in for pipes)', () => {
  it('a client of the public endpoint reaches Docker through berthd\'s private endpoint, checked to be berthd\'s', async () => {
    const pub = join(dir, 'berth_docker.sock');
    const b = new DockerPipeBridges(bridgeBin, () => {});
    bridges.push(b);
    b.start([bridgeArgv({ listen: { kind: 'unix', path: pub }, dial: { kind: 'unix', path: berthd.path }, serverPid: process.pid })]);
    await waitFor(pub);
    expect(await get(pub, '/_ping')).toEqual({ status: 200, body: 'OK' });
    expect(berthd.connectionsServed).toBeGreaterThanOrEqual(1);
    await b.stop();
  });

  it('a private endpoint served by another process is refused: the client gets no Docker', async () => {
    const fake = join(dir, 'squatted.sock');
    squatter = spawn(process.execPath, ['-e', `require('net').createServer((c) => { c.on('error', () => {}); c.end('HTTP/1.1 200 OK\\r\\ncontent-length: 2\\r\\n\\r\\nOK'); }).listen(${JSON.stringify(fake)})`], { stdio: 'ignore' });
    await waitFor(fake);
    const pub = join(dir, 'berth_docker2.sock');
    const logs: string[] = [];
    const b = new DockerPipeBridges(bridgeBin, (m) => logs.push(m));
    bridges.push(b);
    b.start([[...bridgeArgv({ listen: { kind: 'unix', path: pub }, dial: { kind: 'unix', path: fake }, serverPid: process.pid }), '-dial-retry', '200ms']]);
    await waitFor(pub);
    await expect(get(pub, '/_ping')).rejects.toThrow(/socket hang up|ECONNRESET/);
    for (let i = 0; i < 40 && !logs.join('\n').includes('not berthd'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(logs.join("\n")).toMatch(new RegExp(`served by process ${squatter.pid}, not berthd \\(${process.pid}\\)`));
  });
});
