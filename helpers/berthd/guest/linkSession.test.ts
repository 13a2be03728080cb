// Owns: tests of LinkSession/LinkStream against the fake guest over a unix socket: echo, half-close,
// RESET both ways, HELLO handling and resync, protocol errors, liveness and the link closing.
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { encodeFrame, MAX_PAYLOAD, type HelloPayload } from './frameCodec.ts';
import { REFUSED, startLinkPair, type FakeGuestOptions, type LinkPair } from './fakeGuestPeer.ts';
import type { LinkSessionOptions } from './linkSession.ts';
import type { LinkStream } from './linkStream.ts';

const pairs: LinkPair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.dispose();
});

async function pair(sessionOptions: LinkSessionOptions = {}, peerOptions: FakeGuestOptions = {}): Promise<LinkPair> {
  const p = await startLinkPair(sessionOptions, peerOptions);
  pairs.push(p);
  return p;
}

async function established(p: LinkPair): Promise<HelloPayload> {
  const [hello] = (await once(p.session, 'hello')) as [HelloPayload];
  return hello;
}

/** Everything the stream yields until 'end'. */
function collect(stream: LinkStream): Promise<Buffer> {
  const parts: Buffer[] = [];
  stream.on('data', (b: Buffer) => parts.push(b));
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(parts)));
    stream.once('error', reject);
  });
}

function errorOf(stream: LinkStream): Promise<Error> {
  return new Promise((resolve) => stream.once('error', resolve));
}

describe('LinkSession streams', () => {
  it('sends the spec HELLO, opens a stream and gets its bytes echoed', async () => {
    const p = await pair();
    expect((await established(p)).role).toBe('guest');
    await p.peer.until(() => p.peer.hellos.length > 0, 'the host HELLO');
    expect(p.peer.log[0]?.payload.toString()).toBe('{"magic":"berth-link","version":1,"role":"host","agent":"berthd"}');
    const s = p.session.open('echo');
    const closed = once(s, 'close');
    const got = collect(s);
    s.write('hello ');
    s.end('guest');
    expect((await got).toString()).toBe('hello guest');
    expect(s.id).toBe(1);
    await p.peer.until(() => p.peer.log.some((f) => f.type === 'CLOSE' && f.stream === 1), 'CLOSE from the host');
    await closed;
  });

  it('half-closes: write "hi", end(), read "hi" then end while the other direction still works', async () => {
    const p = await pair();
    await established(p);
    const s = p.session.open('echo');
    const chunks: string[] = [];
    s.on('data', (b: Buffer) => chunks.push(b.toString()));
    s.write('hi');
    s.end();
    await once(s, 'end');
    expect(chunks.join('')).toBe('hi');
    await p.peer.until(() => p.peer.streams.size === 0, 'CLOSE from the host');
    const types = p.peer.log.filter((f) => f.stream === s.id).map((f) => f.type);
    expect(types).toEqual(['OPEN', 'CLOSE_WRITE', 'CLOSE']);
  });

  it('ends reading on a CLOSE from the guest and discards what is written after it', async () => {
    const p = await pair();
    await established(p);
    const s = p.session.open('echo');
    const got = collect(s);
    s.write('before');
    await p.peer.until(() => p.peer.streams.get(1)?.received === 6, 'the first bytes');
    p.peer.send({ type: 'CLOSE', stream: 1, payload: Buffer.alloc(0) });
    expect((await got).toString()).toBe('before');
    const closed = once(s, 'close');
    s.end('after');
    await closed;
    expect(p.peer.streams.get(1)?.received).toBe(6);
    expect(p.peer.log.filter((f) => f.stream === 1).map((f) => f.type)).toEqual(['OPEN']);
  });

  it('surfaces the reason of a RESET from the guest', async () => {
    const p = await pair();
    const s = p.session.open('refuse');
    const err = await errorOf(s);
    expect(err.message).toContain(REFUSED);
  });

  it('sends RESET with the error message on destroy(err)', async () => {
    const p = await pair();
    const s = p.session.open('echo');
    s.on('error', () => {});
    s.write('x');
    await p.peer.until(() => p.peer.streams.size === 1, 'the OPEN');
    s.destroy(new Error('client went away'));
    await p.peer.until(() => p.peer.resets.length === 1, 'a RESET');
    expect(p.peer.resets[0]).toEqual({ stream: 1, reason: 'client went away' });
  });

  it('queues streams opened before the guest HELLO and announces them once established', async () => {
    const p = await pair({}, { helloOnConnect: false });
    const s = p.session.open('echo');
    const got = collect(s);
    s.end('early');
    expect((await got).toString()).toBe('early');
    expect(p.peer.hellos.map((h) => h.reply ?? false)).toEqual([false]);
  });

  it('drops every stream when the guest sends a new HELLO, answers it, and starts ids again', async () => {
    const p = await pair();
    await established(p);
    const a = p.session.open('echo');
    const b = p.session.open('echo');
    const errors = Promise.all([errorOf(a), errorOf(b)]);
    a.write('x');
    await p.peer.until(() => p.peer.streams.size === 2, 'two OPENs');
    p.peer.sendHello(false);
    for (const e of await errors) expect(e.message).toBe('guest agent restarted');
    await p.peer.until(() => p.peer.hellos.some((h) => h.reply === true), 'the HELLO reply');
    const c = p.session.open('echo');
    const got = collect(c);
    c.end('again');
    expect((await got).toString()).toBe('again');
    expect(c.id).toBe(1);
  });

  it('skips garbage before the guest HELLO', async () => {
    const garbage = Buffer.concat([
      Buffer.from('this is console noise \x7f\x00\x00'),
      encodeFrame({ type: 'DATA', stream: 3, payload: Buffer.from('stale data from before') }),
      Buffer.from('7f00000000000000000000ff7b2261', 'hex'),
    ]);
    const p = await pair({}, { garbage });
    const errors: unknown[] = [];
    p.session.on('protocol-error', (e) => errors.push(e));
    expect((await established(p)).agent).toBe('fake-0.0.0');
    const s = p.session.open('echo');
    const got = collect(s);
    s.end('clean');
    expect((await got).toString()).toBe('clean');
    expect(errors).toEqual([]);
  });

  it('reports a protocol error, drops streams and resynchronises with a new HELLO', async () => {
    const p = await pair();
    await established(p);
    const s = p.session.open('echo');
    const dropped = errorOf(s);
    await p.peer.until(() => p.peer.streams.size === 1, 'the OPEN');
    const reported = once(p.session, 'protocol-error');
    p.peer.socket.write(Buffer.from('09000000000000010000000178', 'hex'));
    const [err] = (await reported) as [{ code: string }];
    expect(err.code).toBe('unknown-type');
    expect((await dropped).message).toContain('unknown-type');
    await once(p.session, 'hello');
    // Our start HELLO, our reply to the guest's start HELLO, then a new session after the error.
    expect(p.peer.hellos.map((h) => h.reply ?? false)).toEqual([false, true, false]);
    const again = p.session.open('echo');
    const got = collect(again);
    again.end('recovered');
    expect((await got).toString()).toBe('recovered');
  });

  it('treats DATA beyond the window as a protocol error', async () => {
    const p = await pair();
    await established(p);
    const s = p.session.open('sink');
    s.on('error', () => {});
    s.pause();
    await p.peer.until(() => p.peer.streams.size === 1, 'the OPEN');
    const reported = once(p.session, 'protocol-error');
    for (let i = 0; i < 5; i++) p.peer.send({ type: 'DATA', stream: s.id, payload: Buffer.alloc(MAX_PAYLOAD) });
    const [err] = (await reported) as [{ code: string }];
    expect(err.code).toBe('window-exceeded');
  });

  it('refuses streams the guest opens when nobody listens', async () => {
    const p = await pair();
    await established(p);
    p.peer.send({ type: 'OPEN', stream: 2, payload: Buffer.from('host-service') });
    await p.peer.until(() => p.peer.log.some((f) => f.type === 'RESET' && f.stream === 2), 'a RESET of stream 2');
  });
});

describe('LinkSession liveness and close', () => {
  it('answers PING with PONG', async () => {
    const p = await pair();
    await established(p);
    p.peer.send({ type: 'PING', stream: 0, payload: Buffer.from('01234567') });
    await p.peer.until(() => p.peer.pongs.length === 1, 'a PONG');
    expect(p.peer.pongs[0]?.toString()).toBe('01234567');
  });

  it("emits 'down' when PONGs stop and 'up' when they come back", async () => {
    const p = await pair({ pingIntervalMs: 25, livenessTimeoutMs: 300 });
    await established(p);
    const events: string[] = [];
    p.session.on('down', () => events.push('down'));
    p.session.on('up', () => events.push('up'));
    await new Promise((r) => setTimeout(r, 400));
    expect(events).toEqual([]);
    expect(p.peer.pings).toBeGreaterThan(5);
    p.peer.answerPings = false;
    await once(p.session, 'down');
    expect(p.session.isUp).toBe(false);
    p.peer.answerPings = true;
    await once(p.session, 'up');
    expect(events).toEqual(['down', 'up']);
    expect(p.session.isUp).toBe(true);
  });

  it('recovers when the agent died mid-frame and its successor waits for our HELLO (silence → resync + HELLO)', async () => {
    const p = await pair({ pingIntervalMs: 25, livenessTimeoutMs: 300 });
    await established(p);
    // The host says HELLO at start and answers the peer's: two before anything goes wrong.
    await p.peer.until(() => p.peer.hellos.length >= 2, 'the opening HELLOs');
    const hostHellos = p.peer.hellos.length;
    let guestHellos = 0;
    p.session.on('hello', () => guestHellos++);
    // The old agent dies after 10 of 1,000 announced payload bytes: our decoder waits for 990 more.
    const header = Buffer.alloc(12);
    header.writeUInt8(0x02, 0);
    header.writeUInt32BE(2, 4);
    header.writeUInt32BE(1000, 8);
    p.peer.socket.write(Buffer.concat([header, Buffer.alloc(10, 0x61)]));
    // The new agent's HELLO vanishes into that payload; it answers nothing until it hears ours.
    p.peer.answerPings = false;
    p.peer.sendHello(false);
    await p.peer.until(() => p.peer.hellos.length > hostHellos, 'a fresh HELLO from the host', 3000);
    p.peer.answerPings = true;
    // Our resync finds the new agent's HELLO (once swallowed) and its answer to ours.
    await p.peer.until(() => guestHellos > 0 && p.session.isEstablished, 'the session re-established', 3000);
    const s = p.session.open('echo');
    const got = collect(s);
    s.end('after resync');
    expect((await got).toString()).toBe('after resync');
  });

  it('errors open streams with "guest link closed" when the transport closes', async () => {
    const p = await pair();
    await established(p);
    const s = p.session.open('echo');
    const pending = p.session.open('echo');
    const errs = Promise.all([errorOf(s), errorOf(pending)]);
    const closed = once(p.session, 'close');
    p.peer.socket.destroy();
    await closed;
    for (const e of await errs) expect(e.message).toBe('guest link closed');
    const late = p.session.open('echo');
    expect((await errorOf(late)).message).toBe('guest link closed');
  });
});
