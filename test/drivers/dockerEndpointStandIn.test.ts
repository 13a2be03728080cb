// berthd's Windows Docker wiring (HostDockerEndpoint, platform win32) with unix sockets standing in for
// the named pipes and hvsock-bridge built for Linux: the private server listens first, then the bridge
// serves the public endpoint; listen() returns only once the bridge listens; close() ends both. A bridge
// that cannot listen or is missing fails the start with the reason. On unix no bridge is started.
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeDockerServer } from '../../helpers/berthd/docker/fakeDockerServer.ts';
import { DockerEndpointError, HostDockerEndpoint } from '../../helpers/berthd/forward/hostDockerEndpoint.ts';
import { bridgeArgv } from '../../helpers/berthd/hypervisors/hvsockBridgeArgs.ts';
import { buildHvsockBridge, pingingDocker, unixGet as get } from './fixtures/dockerStandIns.ts';

let dir: string;
let bridgeBin: string;
let docker: FakeDockerServer;
const endpoints: HostDockerEndpoint[] = [];

const answers = (path: string): Promise<boolean> =>
  new Promise((r) => {
    const c = connect(path);
    c.once('connect', () => (c.destroy(), r(true))).once('error', () => r(false));
  });

/** The stand-in plan: the public endpoint is a unix socket, dialling berthd's private one served by `pid`. */
const standInPlan = (pub: string) => (priv: string, pid: number) => [bridgeArgv({ listen: { kind: 'unix', path: pub }, dial: { kind: 'unix', path: priv }, serverPid: pid })];

function endpoint(o: Partial<ConstructorParameters<typeof HostDockerEndpoint>[0]> & { serverEndpoint: string }, logs: string[] = []): HostDockerEndpoint {
  const e = new HostDockerEndpoint({ platform: 'win32', openStream: () => connect(docker.socketPath), log: (m) => logs.push(m), bridgeBinary: bridgeBin, ...o });
  endpoints.push(e);
  return e;
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'bdep-'));
  bridgeBin = buildHvsockBridge(dir);
  docker = await pingingDocker();
}, 120_000);

afterAll(async () => {
  for (const e of endpoints) await e.close();
  await docker.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('HostDockerEndpoint on win32, unix sockets standing in for the pipes (stand-in)', () => {
  it('serves the public endpoint through the bridge as soon as listen() returns, and close() ends bridge and server', async () => {
    const priv = join(dir, 'berthd-private.sock');
    const pub = join(dir, 'berth_docker.sock');
    const logs: string[] = [];
    const e = endpoint({ serverEndpoint: priv, bridgeArgvs: standInPlan(pub) }, logs);
    await e.listen();
    // No waiting loop: listen() resolved only after the bridge said it listens.
    expect(await get(pub, '/_ping')).toEqual({ status: 200, body: 'OK' });
    expect(e.server.connectionsServed).toBe(1);
    // The private endpoint went through the Windows branch: no chmod (the bridge makes the public one 0600 itself).
    expect(statSync(priv).mode & 0o777).not.toBe(0o600);
    expect(logs.join('\n')).toContain(`hvsock-bridge: unix:${pub} -> unix:${priv}`);
    await e.close();
    expect(await answers(pub)).toBe(false);
    expect(await answers(priv)).toBe(false);
  });

  it('a public endpoint the bridge cannot take fails the start with the reason, and the private server is closed again', async () => {
    const priv = join(dir, 'berthd-private2.sock');
    const pub = join(dir, 'taken');
    writeFileSync(pub, 'not a socket: stands in for a pipe another program holds');
    const e = endpoint({ serverEndpoint: priv, bridgeArgvs: standInPlan(pub) });
    const err = await e.listen().then(
      () => undefined,
      (x: unknown) => x,
    );
    expect(err).toBeInstanceOf(DockerEndpointError);
    expect((err as DockerEndpointError).message).toMatch(new RegExp(`^Berth cannot serve Docker on unix:${pub.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: .*address already in use`));
    expect((err as DockerEndpointError).hint).toMatch(/another Berth .* serves that pipe; stop it/);
    expect(await answers(priv)).toBe(false);
  });

  it('a missing bridge binary fails the start saying to reinstall', async () => {
    const e = endpoint({ serverEndpoint: join(dir, 'berthd-private3.sock'), bridgeArgvs: standInPlan(join(dir, 'pub3.sock')), bridgeBinary: join(dir, 'no-such-bridge') });
    await expect(e.listen()).rejects.toMatchObject({ message: expect.stringMatching(/could not start .*ENOENT/), hint: expect.stringMatching(/reinstall Berth, or set BERTH_HVSOCK_BRIDGE/) });
  });

  it('on linux no bridge is planned or started: the server is the public socket, 0600', async () => {
    const sock = join(dir, 'docker.sock');
    let planned = false;
    const e = endpoint({
      platform: 'linux',
      serverEndpoint: sock,
      bridgeArgvs: () => {
        planned = true;
        return [];
      },
    });
    await e.listen();
    expect(planned).toBe(false);
    expect(statSync(sock).mode & 0o777).toBe(0o600);
    expect(await get(sock, '/_ping')).toEqual({ status: 200, body: 'OK' });
  });
});
