// Tests: IPC sender checks (app origin, top frame, live frame) and argument validation with the
// shared helpers/api schemas (T-36), using fake events of the IpcMainInvokeEvent shape.
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { stopRequestSchema } from '../../helpers/api/controlApi.ts';
import { checkSender, errorResult, guarded, handleGuarded, validateArgs, type GuardedEvent, type GuardedFrame } from './ipcGuard.ts';

function frame(url: string, extra: Partial<GuardedFrame> = {}): GuardedFrame {
  return { url, parent: null, detached: false, ...extra };
}
const appEvent: GuardedEvent = { senderFrame: frame('berth-app://ui/index.html') };

describe('checkSender', () => {
  it('accepts the app top frame', () => {
    expect(checkSender(appEvent)).toBeUndefined();
  });

  it.each([
    ['an https page', { senderFrame: frame('https://evil.example/') }],
    ['a file page', { senderFrame: frame('file:///tmp/x.html') }],
    ['about:blank', { senderFrame: frame('about:blank') }],
    ['another host on the app scheme', { senderFrame: frame('berth-app://evil/') }],
    ['an app-origin iframe', { senderFrame: frame('berth-app://ui/frame.html', { parent: frame('berth-app://ui/index.html') }) }],
    ['an injected iframe', { senderFrame: frame('https://evil.example/', { parent: frame('berth-app://ui/index.html') }) }],
    ['a destroyed frame', { senderFrame: null }],
    ['a detached frame', { senderFrame: frame('berth-app://ui/', { detached: true }) }],
  ])('refuses %s', (_what, event: GuardedEvent) => {
    expect(checkSender(event)).toMatchObject({ code: 'forbidden-sender' });
  });

  it('refuses when reading senderFrame throws', () => {
    const event = {
      get senderFrame(): GuardedFrame {
        throw new Error('Render frame was disposed');
      },
    };
    expect(checkSender(event)).toMatchObject({ code: 'forbidden-sender' });
  });
});

describe('validateArgs', () => {
  it('applies the shared schema, defaults included', () => {
    expect(validateArgs(stopRequestSchema, [{}])).toEqual({ ok: true, value: { timeoutSeconds: 30 } });
  });

  it.each([
    ['a wrong type', [{ timeoutSeconds: 'soon' }]],
    ['an out-of-range value', [{ timeoutSeconds: 100000 }]],
    ['an unknown key', [{ timeoutSeconds: 5, force: true }]],
    ['no argument', []],
    ['two arguments', [{}, {}]],
    ['a prototype trick', [JSON.parse('{"__proto__": {"polluted": 1}}')]],
  ])('rejects %s', (_what, args: unknown[]) => {
    const r = validateArgs(stopRequestSchema, args);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.error.code).toBe('bad-argument');
      expect(r.error.hint).not.toBe('');
    }
  });
});

describe('guarded', () => {
  it('runs the handler with the parsed value', async () => {
    const handler = vi.fn((v: { timeoutSeconds: number }) => `stopping in ${v.timeoutSeconds}`);
    const listener = guarded(stopRequestSchema, handler);
    await expect(listener(appEvent, { timeoutSeconds: 5 })).resolves.toEqual({ ok: true, value: 'stopping in 5' });
  });

  it('never calls the handler for a forged sender or argument', async () => {
    const handler = vi.fn();
    const listener = guarded(stopRequestSchema, handler);
    await expect(listener({ senderFrame: frame('https://evil.example/') }, {})).resolves.toMatchObject({ ok: false, error: { code: 'forbidden-sender' } });
    await expect(listener(appEvent, 'rm -rf /')).resolves.toMatchObject({ ok: false, error: { code: 'bad-argument' } });
    expect(handler).not.toHaveBeenCalled();
  });

  it('turns a thrown error into an IpcResult, keeping berthd error shapes', async () => {
    const api = guarded(z.undefined(), () => {
      throw { code: 'start-failed', message: 'QEMU exited', hint: 'Run berth doctor' };
    });
    await expect(api(appEvent)).resolves.toEqual({ ok: false, error: { code: 'start-failed', message: 'QEMU exited', hint: 'Run berth doctor' } });
    const plain = guarded(z.undefined(), async () => Promise.reject(new Error('socket closed')));
    await expect(plain(appEvent)).resolves.toMatchObject({ ok: false, error: { code: 'internal', message: 'socket closed' } });
  });

  it('errorResult copies only the three fields', () => {
    expect(errorResult({ code: 'x', message: 'm', hint: 'h', stack: 'secret' })).toEqual({ ok: false, error: { code: 'x', message: 'm', hint: 'h' } });
  });
});

describe('handleGuarded', () => {
  it('registers a guarded listener on the channel', async () => {
    const handle = vi.fn();
    handleGuarded({ handle }, 'vm:stop', stopRequestSchema, () => 'ok');
    expect(handle).toHaveBeenCalledWith('vm:stop', expect.any(Function));
    const listener = handle.mock.calls[0]?.[1] as (e: GuardedEvent, ...a: unknown[]) => Promise<unknown>;
    await expect(listener({ senderFrame: null }, {})).resolves.toMatchObject({ ok: false });
  });
});
