// Tests: the app's berthd link against a fake berthd (an HTTP server on a temp unix socket): calls,
// "not running" said plainly, events followed across a berthd restart, published ports kept current.
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ApiEvent } from '../../helpers/api/controlApi.ts';
import type { PortForward } from '../../helpers/api/ports.ts';
import { BERTHD_DOWN, BerthdLink, confirmedLocalPorts } from './berthdLink.ts';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-link-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const forward = (hostPort: number, extra: Partial<PortForward> = {}): PortForward => ({
  containerId: 'c1',
  containerName: 'web',
  containerPort: 80,
  protocol: 'tcp',
  guestHostIp: '0.0.0.0',
  hostAddress: '127.0.0.1',
  hostPort,
  state: 'forwarding',
  bytesIn: 0,
  bytesOut: 0,
  connections: 0,
  ...extra,
});
const status = { state: 'stopped', vm: { state: 'stopped' }, dockerSocket: '/x', berthdPid: 1, berthHome: '/x', settings: { path: '/x', status: 'ok', notes: [] } };

/** A fake berthd: status, ports, and an event stream the test writes to. */
function fakeBerthd(socket: string): Promise<{ server: Server; streams: ServerResponse[]; send: (e: ApiEvent) => void }> {
  const streams: ServerResponse[] = [];
  const server = createServer((req, res) => {
    if (req.url === '/v1/events') {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write(`event: state\ndata: ${JSON.stringify({ type: 'state', vm: { state: 'stopped' } })}\n\n`);
      streams.push(res);
      return;
    }
    res.setHeader('content-type', 'application/json');
    if (req.url === '/v1/ports') return res.end(JSON.stringify({ forwards: [forward(3000), forward(5353, { protocol: 'udp' })] }));
    res.end(JSON.stringify(status));
  });
  return new Promise((resolve) =>
    server.listen(socket, () => resolve({ server, streams, send: (e) => streams.forEach((s) => s.write(`event: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`)) })),
  );
}

async function stop(server: Server): Promise<void> {
  server.closeAllConnections();
  await new Promise((r) => server.close(r));
}
const until = async (what: () => boolean): Promise<void> => {
  const deadline = Date.now() + 5000;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

describe('confirmedLocalPorts', () => {
  it('only TCP ports Berth forwards right now', () => {
    expect([...confirmedLocalPorts([forward(8080), forward(9090, { state: 'conflict' }), forward(53, { protocol: 'udp' }), forward(3000)])]).toEqual([8080, 3000]);
  });
});

describe('BerthdLink (fake berthd)', () => {
  it('berthd away: calls fail as berthd-down with a hint; up: answers pass through', async () => {
    const socket = join(dir, 'a.sock');
    const link = new BerthdLink({ controlSocket: socket, berthdLog: join(dir, 'a.log'), log: () => {} });
    await expect(link.call('status', {})).rejects.toEqual(BERTHD_DOWN);
    expect(await link.answers()).toBe(false);
    const b = await fakeBerthd(socket);
    await expect(link.call('status', {})).resolves.toMatchObject({ state: 'stopped' });
    await link.refreshPorts();
    expect([...link.confirmedLocalPorts]).toEqual([3000]);
    await stop(b.server);
  });

  it('ensure starts berthd only when it does not answer', async () => {
    const socket = join(dir, 'e.sock');
    let server: Server | undefined;
    const launch = vi.fn(() => {
      void fakeBerthd(socket).then((b) => (server = b.server));
      return { exitCode: () => undefined };
    });
    const link = new BerthdLink({ controlSocket: socket, berthdLog: join(dir, 'e.log'), log: () => {} });
    await expect(link.ensure(launch)).resolves.toBe('started');
    await expect(link.ensure(launch)).resolves.toBe('running');
    expect(launch).toHaveBeenCalledTimes(1);
    if (server) await stop(server);
  });

  it('follows events across a berthd restart, and keeps the published ports from `ports` events', async () => {
    const socket = join(dir, 'f.sock');
    const link = new BerthdLink({ controlSocket: socket, berthdLog: join(dir, 'f.log'), log: () => {} });
    let b = await fakeBerthd(socket);
    const events: ApiEvent[] = [];
    const ups: boolean[] = [];
    const unfollow = link.followEvents((e) => events.push(e), (up) => ups.push(up));
    await until(() => events.length === 1 && b.streams.length === 1);
    b.send({ type: 'ports', forwards: [forward(8080)] });
    await until(() => link.confirmedLocalPorts.has(8080));
    await stop(b.server); // berthd goes away
    await until(() => ups.length === 2);
    b = await fakeBerthd(socket); // and comes back: the follower reconnects by itself
    await until(() => ups.length === 3);
    expect(ups).toEqual([true, false, true]);
    unfollow();
    await stop(b.server);
  });
});
