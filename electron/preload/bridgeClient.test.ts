// Tests: the preload's Transport against the real main-process handlers, through a fake ipcMain /
// ipcRenderer pair and Node's MessageChannel standing in for MessageChannelMain (no Electron binary):
// calls, events, streams, terminals, openExternal, and forged senders and arguments (T-36, T-37).
import { MessageChannel, type MessagePort as NodePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { ApiEvent } from '../../helpers/api/controlApi.ts';
import type { TerminalServerMessage } from '../../helpers/api/terminal.ts';
import type { StreamHandlers, TerminalChannel, Transport } from '../../helpers/api/transport.ts';
import { IPC } from '../common/ipcContract.ts';
import { registerIpc, type IpcServices, type PortEvent, type PortFrame } from '../main/ipcHandlers.ts';
import type { MainPort } from '../main/portBridge.ts';
import { checkExternalUrl } from '../main/urlPolicy.ts';
import { createTransport } from './bridgeClient.ts';

/** Node's MessagePort as Electron's MessagePortMain: 'message' listeners get {data}. */
function asMainPort(p: NodePort): MainPort {
  const port = {
    postMessage: (m: unknown) => p.postMessage(m),
    on: (event: string, listener: (arg?: unknown) => void) => (event === 'message' ? p.on('message', (data: unknown) => listener({ data })) : p.on('close', () => listener())),
    start: () => p.start(),
    close: () => p.close(),
  };
  return port as MainPort;
}

const opened: NodePort[] = [];
afterEach(() => {
  for (const p of opened.splice(0)) p.close();
});

const until = async (what: () => boolean, ms = 2000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!what()) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 5));
  }
};

function fakeTerminal() {
  const data: ((d: Uint8Array) => void)[] = [];
  const messages: ((m: TerminalServerMessage) => void)[] = [];
  const closes: (() => void)[] = [];
  const channel: TerminalChannel & { written: (string | Uint8Array)[]; sizes: [number, number][]; closed: boolean } = {
    written: [],
    sizes: [],
    closed: false,
    write: (d) => void channel.written.push(d),
    resize: (c, r) => void channel.sizes.push([c, r]),
    onData: (l) => void data.push(l),
    onMessage: (l) => void messages.push(l),
    onClose: (l) => void closes.push(l),
    close: () => {
      channel.closed = true;
    },
  };
  return { channel, emitData: (d: Uint8Array) => data.forEach((l) => l(d)), emit: (m: TerminalServerMessage) => messages.forEach((l) => l(m)), end: () => closes.forEach((l) => l()) };
}

/** The main side with fake services, and a preload Transport talking to it as `frameUrl`. */
function harness(frameUrl = 'berth-app://ui/index.html', parent: object | null = null) {
  const handlers = new Map<string, (event: PortEvent<NodePort>, ...args: unknown[]) => Promise<unknown>>();
  let deliver: ((id: string, port: NodePort) => void) | undefined;
  const frame: PortFrame<NodePort> = {
    url: frameUrl,
    parent,
    detached: false,
    postMessage: (channel, message, transfer) => {
      expect(channel).toBe('berth:port');
      const port = transfer[0];
      if (port) deliver?.((message as { id: string }).id, port);
    },
  };
  const term = fakeTerminal();
  const stops = { events: 0, stream: 0 };
  let eventSink: { onEvent: (e: ApiEvent) => void; connected: (up: boolean) => void } | undefined;
  let streamSink: StreamHandlers<unknown> | undefined;
  const services = {
    call: vi.fn(async (name: string, body: unknown): Promise<unknown> => ({ name, body })),
    followEvents: vi.fn((onEvent: (e: ApiEvent) => void, connected: (up: boolean) => void) => {
      eventSink = { onEvent, connected };
      return () => void stops.events++;
    }),
    startStream: vi.fn((_name: string, _body: unknown, h: StreamHandlers<unknown>) => {
      streamSink = h;
      return () => void stops.stream++;
    }),
    openTerminal: vi.fn((_spec: unknown): TerminalChannel => term.channel),
    checkExternal: vi.fn((url: string) => checkExternalUrl(url, { confirmedLocalPorts: new Set([8080]) })),
    openExternal: vi.fn(async (_url: string) => {}),
    newChannel: vi.fn(() => {
      const c = new MessageChannel();
      opened.push(c.port1, c.port2);
      return { local: asMainPort(c.port1), remote: c.port2 };
    }),
    log: vi.fn(),
  };
  const typed: IpcServices<NodePort> = services;
  registerIpc<NodePort>({ handle: (channel, listener) => void handlers.set(channel, listener) }, typed);
  const invoke = (channel: string, arg: unknown): Promise<unknown> => {
    const h = handlers.get(channel);
    if (!h) throw new Error(`no handler for ${channel}`);
    return h({ senderFrame: frame }, arg);
  };
  // Node's MessagePort has the DOM port's onmessage/postMessage/close, which is all the preload uses.
  const transport: Transport = createTransport({ invoke, onPort: (l) => void (deliver = l as unknown as (id: string, port: NodePort) => void) });
  return { transport, invoke, handlers, services, term, stops, events: () => eventSink, stream: () => streamSink };
}

describe('preload transport ↔ main handlers (fake ipcMain/ipcRenderer, Node MessageChannel)', () => {
  it('one guarded channel per Transport operation', () => {
    expect([...harness().handlers.keys()].sort()).toEqual(Object.values(IPC).sort());
  });

  it('call: the route and its validated body reach berthd; the answer comes back', async () => {
    const h = harness();
    await expect(h.transport.call('stop', { timeoutSeconds: 5 })).resolves.toEqual({ name: 'stop', body: { timeoutSeconds: 5 } });
    await expect(h.transport.call('status')).resolves.toEqual({ name: 'status', body: {} });
    await expect(h.transport.call('containerAction', { id: 'web-1', action: 'stop' })).resolves.toMatchObject({ body: { id: 'web-1', action: 'stop', force: false } });
  });

  it('call: a failure arrives as a TransportError-shaped object with code, message and hint', async () => {
    const h = harness();
    h.services.call.mockRejectedValueOnce({ code: 'start-failed', message: 'QEMU exited', hint: 'Run berth doctor' });
    await expect(h.transport.call('start', {})).rejects.toEqual({ name: 'TransportError', message: 'QEMU exited', error: { code: 'start-failed', message: 'QEMU exited', hint: 'Run berth doctor' } });
  });

  it('events: arrive over the port with up/down; unsubscribing stops following berthd', async () => {
    const h = harness();
    const got: ApiEvent[] = [];
    const ups: boolean[] = [];
    const stop = h.transport.events((e) => got.push(e), (up) => ups.push(up));
    await until(() => h.events() !== undefined);
    h.events()?.connected(true);
    h.events()?.onEvent({ type: 'state', vm: { state: 'stopped' } });
    await until(() => got.length === 1 && ups.length === 1);
    expect(got).toEqual([{ type: 'state', vm: { state: 'stopped' } }]);
    expect(ups).toEqual([true]);
    stop();
    await until(() => h.stops.events === 1);
  });

  it('stream: items then one end; an error end carries berthd error; unsubscribing cancels', async () => {
    const h = harness();
    const items: unknown[] = [];
    const ends: unknown[] = [];
    h.transport.stream('imagePull', { ref: 'busybox:latest' }, { item: (i) => items.push(i), end: (e) => ends.push(e) });
    await until(() => h.stream() !== undefined);
    expect(h.services.startStream).toHaveBeenCalledWith('imagePull', { ref: 'busybox:latest' }, expect.anything());
    h.stream()?.item({ status: 'Downloading', layer: 'a1' });
    h.stream()?.end({ code: 'pull-failed', message: 'no such image', hint: 'check the name' });
    await until(() => ends.length === 1);
    expect(items).toEqual([{ status: 'Downloading', layer: 'a1' }]);
    expect(ends).toEqual([{ code: 'pull-failed', message: 'no such image', hint: 'check the name' }]);

    const h2 = harness();
    const stop = h2.transport.stream('containerLogs', { id: 'web-1' }, { item: () => {}, end: () => {} });
    await until(() => h2.stream() !== undefined);
    stop();
    await until(() => h2.stops.stream === 1);
  });

  it('stream: a bad body never starts the stream and ends with bad-argument', async () => {
    const h = harness();
    const ends: unknown[] = [];
    h.transport.stream('imagePull', { ref: '../../etc' } as never, { item: () => {}, end: (e) => ends.push(e) });
    await until(() => ends.length === 1);
    expect(ends[0]).toMatchObject({ code: 'bad-argument' });
    expect(h.services.startStream).not.toHaveBeenCalled();
  });

  it('terminal: input and resizes reach the session (even those sent before the port arrived); output comes back', async () => {
    const h = harness();
    const t = h.transport.openTerminal({ kind: 'vm' });
    t.write('uname -a\r');
    t.resize(120, 40);
    const out: Uint8Array[] = [];
    const msgs: TerminalServerMessage[] = [];
    let closed = false;
    t.onData((d) => out.push(d));
    t.onMessage((m) => msgs.push(m));
    t.onClose(() => (closed = true));
    await until(() => h.term.channel.written.length === 1 && h.term.channel.sizes.length === 1);
    expect(h.term.channel.written).toEqual(['uname -a\r']);
    expect(h.term.channel.sizes).toEqual([[120, 40]]);
    h.term.emit({ type: 'ready', title: 'VM shell' });
    h.term.emitData(new TextEncoder().encode('Linux berth'));
    await until(() => out.length === 1 && msgs.length === 1);
    expect(new TextDecoder().decode(out[0])).toBe('Linux berth');
    h.term.emit({ type: 'exit', code: 0 });
    h.term.end();
    await until(() => closed);
    expect(msgs.map((m) => m.type)).toEqual(['ready', 'exit']);
  });

  it('terminal: closing it in the window closes the session in berthd', async () => {
    const h = harness();
    const t = h.transport.openTerminal({ kind: 'host', cols: 80, rows: 24 });
    await until(() => h.services.openTerminal.mock.calls.length === 1);
    await new Promise((r) => setTimeout(r, 20));
    t.close();
    await until(() => h.term.channel.closed);
  });

  it('terminal: a bad spec reports an error message and closes, without opening anything', async () => {
    const h = harness();
    const t = h.transport.openTerminal({ kind: 'container', id: '../etc' });
    const msgs: TerminalServerMessage[] = [];
    let closed = false;
    t.onMessage((m) => msgs.push(m));
    t.onClose(() => (closed = true));
    await until(() => closed);
    expect(msgs).toEqual([expect.objectContaining({ type: 'error', code: 'bad-argument' })]);
    expect(h.services.openTerminal).not.toHaveBeenCalled();
  });

  it('openExternal: a checked link opens normalized; a hostile one is refused with why (T-37)', async () => {
    const h = harness();
    await h.transport.openExternal('HTTPS://Docs.Docker.com/a/../b');
    expect(h.services.openExternal).toHaveBeenCalledWith('https://docs.docker.com/b');
    await h.transport.openExternal('http://localhost:8080/');
    for (const url of ['file:///etc/passwd', 'smb://evil/share', 'http://localhost:9999/', 'javascript:alert(1)']) {
      await expect(h.transport.openExternal(url)).rejects.toMatchObject({ error: { code: 'link-refused', hint: expect.any(String) } });
    }
    expect(h.services.openExternal).toHaveBeenCalledTimes(2);
  });
});

describe('forged IPC through the fake ipcMain (T-36)', () => {
  const forgedArgs: [string, unknown][] = [
    [IPC.call, { name: 'reset', body: { force: true } }],
    [IPC.call, { name: '__proto__' }],
    [IPC.call, { name: 'settingsSet', body: { change: { cpus: 64 } }, extra: 1 }],
    [IPC.events, { id: 'p1' }],
    [IPC.stream, { id: 'p1', name: 'imagePull', body: { ref: 'busybox' } }],
    [IPC.terminal, { id: 'p1', spec: { kind: 'host' } }],
    [IPC.openExternal, { url: 'https://example.com/' }],
  ];

  it.each([
    ['an https page', 'https://evil.example/', null],
    ['an iframe in the app', 'berth-app://ui/index.html', { url: 'berth-app://ui/index.html' }],
    ['a file page', 'file:///tmp/x.html', null],
  ])('from %s every channel is refused and nothing runs', async (_what, url, parent) => {
    const h = harness(url, parent);
    for (const [channel, arg] of forgedArgs) {
      await expect(h.invoke(channel, arg), channel).resolves.toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    }
    for (const [name, fn] of Object.entries(h.services)) if (name !== 'log') expect(fn, name).not.toHaveBeenCalled();
  });

  it.each([
    [IPC.call, { name: 'noSuchRoute' }],
    [IPC.call, { name: 'stop', body: { timeoutSeconds: 'now' } }],
    [IPC.call, { name: 'status', body: { sneaky: 1 } }],
    [IPC.call, 'status'],
    [IPC.events, { id: 'NOT VALID ID' }],
    [IPC.stream, { id: 'p1', name: 'containerLogs', body: { id: '../../x' } }],
    [IPC.stream, { id: 'p1', name: 'execAnything', body: {} }],
    [IPC.terminal, { id: 'p1', spec: { kind: 'host', cmd: 'rm -rf /' } }],
    [IPC.openExternal, { url: 42 }],
    [IPC.openExternal, undefined],
  ])('from the app frame, %s with forged argument %j is refused as bad-argument', async (channel, arg) => {
    const h = harness();
    await expect(h.invoke(channel, arg)).resolves.toMatchObject({ ok: false, error: { code: 'bad-argument' } });
    for (const [name, fn] of Object.entries(h.services)) if (name !== 'log') expect(fn, name).not.toHaveBeenCalled();
  });

  it('a bad body names the field that failed', async () => {
    const h = harness();
    await expect(h.invoke(IPC.call, { name: 'stop', body: { timeoutSeconds: 0 } })).resolves.toMatchObject({ ok: false, error: { message: expect.stringContaining('body.timeoutSeconds') } });
  });
});
