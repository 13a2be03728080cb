// Owns: tests of qmpClient.ts against a fake QMP server on a unix socket in a temp dir: greeting and
// capabilities, results, events (also interleaved), errors, a close mid-command and a missing greeting.

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { QmpClient, type QmpEvent } from './qmpClient.ts';

const GREETING = `${JSON.stringify({ QMP: { version: { qemu: { micro: 0, minor: 2, major: 8 }, package: '' }, capabilities: ['oob'] } })}\r\n`;

type Cmd = { execute: string; arguments?: Record<string, unknown> };
/** How the fake server answers one command: lines to write (each gets CRLF), or 'close'. */
type Answer = string[] | 'close' | 'silent';

let dir: string;
let n = 0;
const servers: Server[] = [];
const clients: QmpClient[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-qmp-'));
});
afterEach(async () => {
  for (const c of clients.splice(0)) c.close();
  await Promise.all(servers.splice(0).map((s) => new Promise((r) => s.close(r))));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A fake QEMU: greets (unless told not to), then answers each command with `answer`. */
async function fakeQemu(answer: (cmd: Cmd) => Answer, opts: { greet?: boolean } = {}) {
  const path = join(dir, `qmp-${n++}.sock`);
  const received: Cmd[] = [];
  const sockets: Socket[] = [];
  const server = createServer((sock) => {
    sockets.push(sock);
    if (opts.greet !== false) sock.write(GREETING);
    let buf = '';
    sock.setEncoding('utf8');
    sock.on('error', () => {});
    sock.on('data', (chunk: string) => {
      buf += chunk;
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const cmd = JSON.parse(buf.slice(0, nl)) as Cmd;
        buf = buf.slice(nl + 1);
        received.push(cmd);
        const a = cmd.execute === 'qmp_capabilities' ? [JSON.stringify({ return: {} })] : answer(cmd);
        if (a === 'close') sock.destroy();
        else if (a !== 'silent') sock.write(a.map((l) => `${l}\r\n`).join(''));
      }
    });
  });
  servers.push(server);
  await new Promise<void>((r) => server.listen(path, r));
  return { path, received, sockets };
}

async function connect(path: string, timeoutMs?: number): Promise<QmpClient> {
  const c = await QmpClient.connect(path, timeoutMs);
  clients.push(c);
  return c;
}

const ev = (event: string, data?: unknown): string => JSON.stringify({ event, data, timestamp: { seconds: 1700000000, microseconds: 5 } });

describe('QmpClient', () => {
  it('connects, negotiates capabilities first, and answers command results in order', async () => {
    const q = await fakeQemu((cmd) => {
      if (cmd.execute === 'query-status') return [JSON.stringify({ return: { status: 'running', running: true } })];
      if (cmd.execute === 'human-monitor-command') return [JSON.stringify({ return: `echo ${String(cmd.arguments?.['command-line'])}` })];
      return [JSON.stringify({ return: {} })];
    });
    const c = await connect(q.path);
    expect(q.received).toEqual([{ execute: 'qmp_capabilities' }]);
    const [status, hmp, pd] = await Promise.all([
      c.execute('query-status'),
      c.execute('human-monitor-command', { 'command-line': 'info version' }),
      c.execute('system_powerdown'),
    ]);
    expect(status).toEqual({ status: 'running', running: true });
    expect(hmp).toBe('echo info version');
    expect(pd).toEqual({});
    expect(q.received.slice(1)).toEqual([
      { execute: 'query-status' },
      { execute: 'human-monitor-command', arguments: { 'command-line': 'info version' } },
      { execute: 'system_powerdown' },
    ]);
  });

  it('delivers events to onEvent, including one that comes before a response, until unsubscribed', async () => {
    const q = await fakeQemu((cmd) => {
      if (cmd.execute === 'system_powerdown') return [ev('POWERDOWN'), JSON.stringify({ return: {} }), ev('SHUTDOWN', { guest: true, reason: 'guest-shutdown' })];
      return [ev('STOP'), JSON.stringify({ return: { status: 'paused' } })];
    });
    const c = await connect(q.path);
    const seen: QmpEvent[] = [];
    const off = c.onEvent((e) => seen.push(e));
    expect(await c.execute('system_powerdown')).toEqual({});
    await new Promise((r) => setTimeout(r, 20));
    expect(seen.map((e) => e.event)).toEqual(['POWERDOWN', 'SHUTDOWN']);
    expect(seen[1]).toEqual({ event: 'SHUTDOWN', data: { guest: true, reason: 'guest-shutdown' }, timestamp: { seconds: 1700000000, microseconds: 5 } });
    off();
    // The event before the response is not mistaken for the response.
    expect(await c.execute('query-status')).toEqual({ status: 'paused' });
    expect(seen).toHaveLength(2);
  });

  it('handles responses split across writes and several in one write', async () => {
    const q = await fakeQemu(() => 'silent');
    const c = await connect(q.path);
    const sock = q.sockets[0]!;
    const a = c.execute('one');
    const b = c.execute('two');
    await new Promise((r) => setTimeout(r, 20));
    const both = `${JSON.stringify({ return: 1 })}\r\n${ev('RESUME')}\r\n${JSON.stringify({ return: 2 })}\r\n`;
    sock.write(both.slice(0, 5));
    await new Promise((r) => setTimeout(r, 10));
    sock.write(both.slice(5));
    expect(await a).toBe(1);
    expect(await b).toBe(2);
  });

  it('rejects a command QEMU answers with an error, naming the command, class and description', async () => {
    const q = await fakeQemu((cmd) =>
      cmd.execute === 'bad' ? [JSON.stringify({ error: { class: 'GenericError', desc: 'x' } })] : [JSON.stringify({ return: 'fine' })],
    );
    const c = await connect(q.path);
    await expect(c.execute('bad')).rejects.toThrow('QMP bad failed: GenericError: x');
    // The connection is still usable, and answers stay paired with their commands.
    expect(await c.execute('good')).toBe('fine');
  });

  it('rejects a pending command when the connection closes mid-command, and later ones at once', async () => {
    const q = await fakeQemu((cmd) => (cmd.execute === 'quit' ? 'close' : [JSON.stringify({ return: {} })]));
    const c = await connect(q.path);
    await expect(c.execute('quit')).rejects.toThrow(/QMP connection closed/);
    await expect(c.execute('query-status')).rejects.toThrow('QMP query-status: connection is closed');
  });

  it('rejects every pending command on close, not just the first', async () => {
    const q = await fakeQemu(() => 'silent');
    const c = await connect(q.path);
    const pending = [c.execute('a'), c.execute('b'), c.execute('c')].map((p) => p.then(() => 'resolved', (e: Error) => e.message));
    await new Promise((r) => setTimeout(r, 20));
    q.sockets[0]!.destroy();
    expect(await Promise.all(pending)).toEqual(Array(3).fill('QMP connection closed (QEMU exited?)'));
  });

  it('close() on the client side rejects what is pending', async () => {
    const q = await fakeQemu(() => 'silent');
    const c = await connect(q.path);
    const p = c.execute('never-answered');
    c.close();
    await expect(p).rejects.toThrow(/closed/);
  });

  it('times out when no greeting comes', async () => {
    const q = await fakeQemu(() => 'silent', { greet: false });
    const t0 = Date.now();
    await expect(QmpClient.connect(q.path, 100)).rejects.toThrow(`no QMP greeting on ${q.path} within 100 ms`);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(90);
    expect(Date.now() - t0).toBeLessThan(2000);
    expect(q.received).toEqual([]);
  });

  it('fails to connect when nothing listens', async () => {
    await expect(QmpClient.connect(join(dir, 'nobody.sock'), 1000)).rejects.toThrow(/ENOENT/);
  });

  it('fails to connect when capabilities negotiation fails', async () => {
    const path = join(dir, `qmp-${n++}.sock`);
    const server = createServer((sock) => {
      sock.write(GREETING);
      sock.on('data', () => sock.write(`${JSON.stringify({ error: { class: 'CommandNotFound', desc: 'nope' } })}\r\n`));
    });
    servers.push(server);
    await new Promise<void>((r) => server.listen(path, r));
    await expect(QmpClient.connect(path, 1000)).rejects.toThrow('QMP qmp_capabilities failed: CommandNotFound: nope');
  });
});
