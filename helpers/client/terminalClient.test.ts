// Owns: tests of terminalClient.ts against a real `ws` server on a unix socket playing berthd's side of
// /v1/terminal: the URL and subprotocol, bytes and messages both ways, and every failure said as `error`.
import { createServer, type IncomingMessage } from 'node:http';
import { describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import { TERMINAL_PATH, TERMINAL_PROTOCOL, type TerminalServerMessage } from '../api/terminal.ts';
import type { TerminalChannel } from '../api/transport.ts';
import { openTerminal, terminalUrl } from './terminalClient.ts';
import { useUnixSockets } from './unixSocketFixture.ts';

const sockets = useUnixSockets('berth-tc-');

type Seen = { url: string; protocol: string; frames: { binary: boolean; data: Buffer }[] };

/** A unix-socket server: `onSocket` plays berthd; `refuse` answers HTTP instead of upgrading. */
async function serve(onSocket: (ws: WebSocket, seen: Seen) => void, refuse?: { status: number; body: string }): Promise<{ sock: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const wss = new WebSocketServer({ noServer: true, handleProtocols: (p) => (p.has(TERMINAL_PROTOCOL) ? TERMINAL_PROTOCOL : false) });
  const server = createServer();
  server.on('upgrade', (req: IncomingMessage, socket, head) => {
    if (refuse) {
      socket.end(`HTTP/1.1 ${refuse.status} No\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(refuse.body)}\r\nConnection: close\r\n\r\n${refuse.body}`);
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      const s: Seen = { url: req.url ?? '', protocol: ws.protocol, frames: [] };
      seen.push(s);
      ws.on('message', (data: Buffer, binary) => s.frames.push({ binary, data }));
      onSocket(ws, s);
    });
  });
  const sock = await sockets.listen(server);
  return { sock, seen };
}

type Recorded = { messages: TerminalServerMessage[]; data: Buffer[]; closed: Promise<void> };

function record(channel: TerminalChannel): Recorded {
  const r: Recorded = { messages: [], data: [], closed: Promise.resolve() };
  channel.onMessage((m) => r.messages.push(m));
  channel.onData((d) => r.data.push(Buffer.from(d)));
  r.closed = new Promise((resolve) => channel.onClose(resolve));
  return r;
}

const send = (ws: WebSocket, m: TerminalServerMessage): void => ws.send(JSON.stringify(m));

describe('openTerminal (terminalClient)', () => {
  it('builds the ws+unix URL with the spec as a URL-encoded query', () => {
    expect(terminalUrl('/h/run/berth.sock', { kind: 'container', id: 'web', argv: ['/bin/sh', '-c', 'a&b'] })).toBe(
      `ws+unix:///h/run/berth.sock:/v1/terminal?spec=${encodeURIComponent('{"kind":"container","id":"web","argv":["/bin/sh","-c","a&b"]}')}`,
    );
  });

  it('on Windows the control pipe goes in the URL\'s path, where ws reads the socket before the first colon', () => {
    const pipe = '\\\\.\\pipe\\berth_control-0123456789abcdef0123456789abcdef';
    const url = new URL(terminalUrl(pipe, { kind: 'vm' }));
    // What ws does with a ws+unix: URL (websocket.js initAsClient): socket = path up to the first ':'.
    const path = url.pathname + url.search;
    expect(url.protocol).toBe('ws+unix:');
    expect(path.slice(0, path.indexOf(':'))).toBe(pipe);
    expect(path.slice(path.indexOf(':') + 1)).toBe(`/v1/terminal?spec=${encodeURIComponent('{"kind":"vm"}')}`);
  });

  it('offers berth-terminal.v1, sends input written before the socket opened, and passes bytes and messages', async () => {
    const { sock, seen } = await serve((ws) => {
      send(ws, { type: 'ready', title: 'VM shell' });
      ws.send(Buffer.from([0x68, 0x69, 0x00, 0xff]), { binary: true });
      ws.on('message', (d: Buffer, binary) => {
        if (binary && d.toString() === 'exit\r') {
          send(ws, { type: 'exit', code: 7 });
          ws.close(1000);
        }
      });
    });
    const channel = openTerminal(sock, { kind: 'vm', cols: 100, rows: 30 });
    const r = record(channel);
    channel.write('ls\r'); // before open: queued
    channel.resize(120, 40);
    channel.write(new Uint8Array([0x03]));
    channel.write('exit\r');
    await r.closed;
    expect(seen[0]?.protocol).toBe(TERMINAL_PROTOCOL);
    expect(seen[0]?.url).toBe(`${TERMINAL_PATH}?spec=${encodeURIComponent('{"kind":"vm","cols":100,"rows":30}')}`);
    expect(seen[0]?.frames.map((f) => [f.binary, f.data.toString('latin1')])).toEqual([
      [true, 'ls\r'],
      [false, '{"type":"resize","cols":120,"rows":40}'],
      [true, '\x03'],
      [true, 'exit\r'],
    ]);
    expect(r.messages).toEqual([
      { type: 'ready', title: 'VM shell' },
      { type: 'exit', code: 7 },
    ]);
    expect([...Buffer.concat(r.data)]).toEqual([0x68, 0x69, 0x00, 0xff]);
  });

  it('passes berthd\'s error message and then reports the close once', async () => {
    const { sock } = await serve((ws) => {
      send(ws, { type: 'error', code: 'no-such-container', message: 'there is no container "db"', hint: 'check the name' });
      ws.close(1000);
    });
    const r = record(openTerminal(sock, { kind: 'container', id: 'db' }));
    await r.closed;
    expect(r.messages).toEqual([{ type: 'error', code: 'no-such-container', message: 'there is no container "db"', hint: 'check the name' }]);
  });

  it('no berthd on the socket: error daemon-unreachable saying to start Berth', async () => {
    const r = record(openTerminal(sockets.path('nobody'), { kind: 'host' }));
    await r.closed;
    expect(r.messages).toEqual([{ type: 'error', code: 'daemon-unreachable', message: expect.stringContaining('nobody.sock'), hint: expect.stringContaining('berth start') }]);
  });

  it('an HTTP refusal with {code, message, hint} becomes that error', async () => {
    const { sock } = await serve(() => undefined, { status: 400, body: '{"code":"bad-protocol","message":"speaks berth-terminal.v1 only","hint":"update Berth"}' });
    const r = record(openTerminal(sock, { kind: 'host' }));
    await r.closed;
    expect(r.messages).toEqual([{ type: 'error', code: 'bad-protocol', message: 'speaks berth-terminal.v1 only', hint: 'update Berth' }]);
  });

  it('a message outside the contract: error bad-message, and the channel closes', async () => {
    const { sock } = await serve((ws) => ws.send('{"type":"title","text":"pwned"}'));
    const r = record(openTerminal(sock, { kind: 'host' }));
    await r.closed;
    expect(r.messages).toEqual([expect.objectContaining({ type: 'error', code: 'bad-message' })]);
  });

  it('a connection that drops before exit or error: error connection-lost', async () => {
    const { sock } = await serve((ws) => {
      send(ws, { type: 'ready', title: 'bash on this machine' });
      setTimeout(() => ws.terminate(), 20);
    });
    const r = record(openTerminal(sock, { kind: 'host' }));
    await r.closed;
    expect(r.messages.map((m) => m.type === 'error' ? m.code : m.type)).toEqual(['ready', 'connection-lost']);
  });

  it('close() from the client closes the socket without an error message', async () => {
    let serverClosed!: Promise<number>;
    const { sock } = await serve((ws) => {
      serverClosed = new Promise((r) => ws.on('close', (code) => r(code)));
      send(ws, { type: 'ready', title: 'VM shell' });
    });
    const channel = openTerminal(sock, { kind: 'vm' });
    const r = record(channel);
    await new Promise<void>((resolve) => channel.onMessage(() => resolve()));
    channel.close();
    await r.closed;
    expect(await serverClosed).toBe(1000);
    expect(r.messages).toEqual([{ type: 'ready', title: 'VM shell' }]);
  });
});
