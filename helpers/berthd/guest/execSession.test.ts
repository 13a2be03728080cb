// Owns: tests of execSession.ts against a fake stream — what the host writes (S, I, E, R, K), the
// events for O/e/X/F, errors for a reset, a bad message or an end without X, and runInGuest's timeout.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { encodeExecMessage, ExecMessageDecoder, HOST_EXEC_KINDS, type HostExecKind } from './execFrames.ts';
import { ExecSession, runInGuest } from './execSession.ts';

/** A stream standing in for an `exec` link stream: records what the host writes, replays guest bytes. */
class FakeExecStream extends Duplex {
  readonly sent = new ExecMessageDecoder<HostExecKind>(HOST_EXEC_KINDS);
  readonly messages: { kind: string; payload: string }[] = [];
  ended = false;

  constructor() {
    super({ allowHalfOpen: true });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    for (const m of this.sent.push(chunk)) this.messages.push({ kind: m.kind, payload: m.payload.toString('hex') });
    cb();
  }

  override _final(cb: () => void): void {
    this.ended = true;
    cb();
  }

  override _read(): void {}

  guest(kind: 'O' | 'e' | 'X' | 'F', text: string): void {
    this.push(encodeExecMessage(kind, Buffer.from(text)));
  }
}

const tick = () => new Promise((r) => setImmediate(r));

describe('ExecSession', () => {
  it('sends S, I, R, K and E, and reports O, e and X in order', async () => {
    const stream = new FakeExecStream();
    const exec = ExecSession.start(stream, { argv: ['/bin/sh'], tty: true, rows: 24, cols: 80 });
    const events: string[] = [];
    exec.on('stdout', (d) => events.push(`out:${d.toString()}`));
    exec.on('stderr', (d) => events.push(`err:${d.toString()}`));
    exec.on('exit', (x) => events.push(`exit:${x.code}:${x.signal}`));
    exec.write('ls\n');
    exec.resize(30, 100);
    exec.signal('SIGINT');
    exec.signal(15);
    exec.endInput();
    exec.endInput(); // once only
    await tick();
    expect(stream.messages.map((m) => m.kind).join('')).toBe('SIRKKE');
    expect(JSON.parse(Buffer.from(stream.messages[0]?.payload ?? '', 'hex').toString())).toEqual({ argv: ['/bin/sh'], tty: true, rows: 24, cols: 80 });
    expect(stream.messages.slice(1, 5).map((m) => m.payload)).toEqual([Buffer.from('ls\n').toString('hex'), '001e0064', '02', '0f']);
    expect(() => exec.write('more')).toThrow(/already ended/);

    stream.guest('O', 'a');
    stream.guest('e', 'b');
    stream.guest('X', '{"code":130,"signal":"SIGINT"}');
    stream.push(null);
    await tick();
    expect(events).toEqual(['out:a', 'err:b', 'exit:130:SIGINT']);
    expect(exec.exit).toEqual({ code: 130, signal: 'SIGINT' });
    expect(stream.ended).toBe(true);
  });

  it.each([
    ['F', (s: FakeExecStream) => s.guest('F', '{"message":"program \\"x\\" not found"}'), /could not start x: program "x" not found/],
    ['an end without X', (s: FakeExecStream) => s.push(null), /ended without an exit status/],
    ['an end in the middle of a message', (s: FakeExecStream) => (s.push(Buffer.from('4f0000', 'hex')), s.push(null)), /middle of a message/],
    ['a reset', (s: FakeExecStream) => s.destroy(new Error('guest reset stream 3 (exec): bad')), /guest reset stream 3/],
    ['a bad guest message', (s: FakeExecStream) => s.push(Buffer.from('4900000000', 'hex')), /bad exec message for x: unknown exec message kind 'I'/],
    ['an unreadable X', (s: FakeExecStream) => s.guest('X', 'nope'), /unreadable exit status/],
  ])('emits one error for %s', async (_name, act, message) => {
    const stream = new FakeExecStream();
    const exec = ExecSession.start(stream, { argv: ['x'] });
    const errors: Error[] = [];
    exec.on('error', (e) => errors.push(e));
    exec.on('exit', () => errors.push(new Error('unexpected exit')));
    act(stream);
    await tick();
    await tick();
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toMatch(message);
    expect(stream.destroyed).toBe(true);
  });

  it('close() drops the stream without further events', async () => {
    const stream = new FakeExecStream();
    const exec = ExecSession.start(stream, { argv: ['sleep', '100'] });
    const events: string[] = [];
    exec.on('error', (e) => events.push(e.message));
    exec.on('exit', () => events.push('exit'));
    exec.close();
    await tick();
    expect(stream.destroyed).toBe(true);
    expect(events).toEqual([]);
  });

  it('refuses an empty argv and bad signals or sizes', () => {
    expect(() => ExecSession.start(new FakeExecStream(), { argv: [] })).toThrow(/needs argv/);
    const exec = ExecSession.start(new FakeExecStream(), { argv: ['x'] });
    expect(() => exec.signal(0)).toThrow(/1–64/);
    expect(() => exec.resize(0, 80)).toThrow(/rows/);
  });
});

describe('runInGuest', () => {
  it('collects output, ends stdin after writing it, and resolves with the exit', async () => {
    const stream = new FakeExecStream();
    const run = runInGuest(() => stream, ['cat'], { stdin: 'in' });
    await tick();
    expect(stream.messages.map((m) => m.kind).join('')).toBe('SIE');
    stream.guest('O', 'in');
    stream.guest('X', '{"code":0,"signal":null}');
    const r = await run;
    expect(r).toMatchObject({ code: 0, signal: null });
    expect(r.stdout.toString()).toBe('in');
    expect(r.stderr.length).toBe(0);
  });

  it('kills the process and rejects on timeout', async () => {
    const stream = new FakeExecStream();
    await expect(runInGuest(() => stream, ['sleep', '100'], { timeoutMs: 20 })).rejects.toThrow(/sleep did not finish within 20 ms/);
    expect(stream.destroyed).toBe(true);
  });
});
