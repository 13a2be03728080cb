// Tests: the main side of the ports with Node's MessageChannel standing in for MessageChannelMain
// (fake of the Electron port): forged terminal input from the window is refused (T-36), ends close both sides.
import { MessageChannel, type MessagePort as NodePort } from 'node:worker_threads';
import { afterEach, describe, expect, it, vi } from 'vitest';
import type { TerminalChannel } from '../../helpers/api/transport.ts';
import { MAX_TERMINAL_WRITE, terminalPortMessageSchema } from '../common/ipcContract.ts';
import { pipeStream, pipeTerminal, type MainPort } from './portBridge.ts';

function asMainPort(p: NodePort): MainPort {
  return {
    postMessage: (m: unknown) => p.postMessage(m),
    on: (event: string, listener: (arg?: unknown) => void) => (event === 'message' ? p.on('message', (data: unknown) => listener({ data })) : p.on('close', () => listener())),
    start: () => p.start(),
    close: () => p.close(),
  } as MainPort;
}

const ports: NodePort[] = [];
afterEach(() => {
  for (const p of ports.splice(0)) p.close();
});
function channelPair() {
  const c = new MessageChannel();
  ports.push(c.port1, c.port2);
  return { main: asMainPort(c.port1), window: c.port2 };
}
const settle = () => new Promise((r) => setTimeout(r, 30));

function fakeSession() {
  let close: (() => void) | undefined;
  let data: ((d: Uint8Array) => void) | undefined;
  const s = {
    writes: [] as unknown[],
    resizes: [] as unknown[],
    closed: 0,
    channel: {
      write: (d) => void s.writes.push(d),
      resize: (c, r) => void s.resizes.push([c, r]),
      onData: (l) => void (data = l),
      onMessage: () => {},
      onClose: (l) => void (close = l),
      close: () => void s.closed++,
    } satisfies TerminalChannel,
    end: () => close?.(),
    data: (d: Uint8Array) => data?.(d),
  };
  return s;
}

describe('pipeTerminal (fake MessagePortMain)', () => {
  it.each([
    ['an unknown type', { type: 'exec', argv: ['sh'] }],
    ['a resize out of range', { type: 'resize', cols: 0, rows: 24 }],
    ['a resize with extra keys', { type: 'resize', cols: 80, rows: 24, pid: 1 }],
    ['a paste over the limit', { type: 'write', data: 'x'.repeat(MAX_TERMINAL_WRITE + 1) }],
    ['a number as input', { type: 'write', data: 42 }],
    ['not an object', 'ls\r'],
  ])('refuses %s and keeps the session', async (_what, message) => {
    const { main, window } = channelPair();
    const s = fakeSession();
    const refused = vi.fn();
    pipeTerminal(main, s.channel, refused);
    window.postMessage(message);
    window.postMessage({ type: 'write', data: 'ok' });
    await settle();
    expect(refused).toHaveBeenCalledTimes(1);
    expect(s.writes).toEqual(['ok']);
    expect(s.resizes).toEqual([]);
    expect(s.closed).toBe(0);
  });

  it('output bytes go to the window as plain Uint8Array messages the contract accepts', async () => {
    const { main, window } = channelPair();
    const s = fakeSession();
    const got: unknown[] = [];
    window.on('message', (m: unknown) => got.push(m));
    pipeTerminal(main, s.channel);
    s.data(Buffer.from('hi'));
    await settle();
    expect(got).toHaveLength(1);
    expect(terminalPortMessageSchema.safeParse(got[0]).success).toBe(true);
  });

  it("the window's end closing closes the session; the session ending closes the port", async () => {
    const a = channelPair();
    const s = fakeSession();
    pipeTerminal(a.main, s.channel);
    a.window.close();
    await settle();
    expect(s.closed).toBe(1);

    const b = channelPair();
    const s2 = fakeSession();
    const got: unknown[] = [];
    b.window.on('message', (m: unknown) => got.push(m));
    let windowClosed = false;
    b.window.on('close', () => (windowClosed = true));
    pipeTerminal(b.main, s2.channel);
    s2.end();
    await settle();
    expect(got).toEqual([{ type: 'close' }]);
    expect(windowClosed).toBe(true);
    expect(s2.closed).toBe(0);
  });
});

describe('pipeStream (fake MessagePortMain)', () => {
  it('the end is delivered before the port closes, and only once', async () => {
    const { main, window } = channelPair();
    const got: unknown[] = [];
    window.on('message', (m: unknown) => got.push(m));
    const stop = vi.fn();
    pipeStream(main, (h) => {
      h.item(1);
      h.end();
      h.end({ code: 'x', message: 'm', hint: 'h' });
      h.item(2);
      return stop;
    });
    await settle();
    expect(got).toEqual([{ type: 'item', item: 1 }, { type: 'end' }]);
    expect(stop).not.toHaveBeenCalled();
  });
});
