// Owns: flow-control tests of the guest link against the fake guest: many parallel streams with
// checksums, a paused consumer that stalls only its stream with bounded memory, held writes.
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { INITIAL_WINDOW, MAX_PAYLOAD, type HelloPayload } from './frameCodec.ts';
import { sourceBytes, startLinkPair, type LinkPair } from './fakeGuestPeer.ts';
import type { LinkStream } from './linkStream.ts';
import { seededPrng } from './seededPrng.ts';

const MiB = 1 << 20;
const pairs: LinkPair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.dispose();
});

async function established(): Promise<LinkPair> {
  const p = await startLinkPair();
  pairs.push(p);
  (await once(p.session, 'hello')) as [HelloPayload];
  return p;
}

/** Write `data` in pieces of varying size, honouring 'drain', then end(). */
async function writeAll(stream: LinkStream, data: Buffer, seed: number): Promise<void> {
  const rnd = seededPrng(seed);
  for (let at = 0; at < data.length; ) {
    const n = 1 + rnd.int(200_000);
    if (!stream.write(data.subarray(at, at + n))) await once(stream, 'drain');
    at += n;
  }
  stream.end();
}

function sha256Until(stream: LinkStream, onChunk: (b: Buffer) => void = () => {}): Promise<{ hash: string; bytes: number }> {
  const h = createHash('sha256');
  let bytes = 0;
  stream.on('data', (b: Buffer) => {
    h.update(b);
    bytes += b.length;
    onChunk(b);
  });
  return new Promise((resolve, reject) => {
    stream.once('end', () => resolve({ hash: h.digest('hex'), bytes }));
    stream.once('error', reject);
  });
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('guest link flow control', () => {
  it('carries 32 parallel streams × 4 MiB through echo intact', async () => {
    const p = await established();
    const rnd = seededPrng(5);
    const runs = Array.from({ length: 32 }, async (_, i) => {
      const data = Buffer.concat([rnd.bytes(4096), Buffer.alloc(4 * MiB - 4096, i)]);
      data.writeUInt32BE(i, 100);
      const s = p.session.open('echo');
      const got = sha256Until(s);
      await writeAll(s, data, i);
      const { hash, bytes } = await got;
      expect(bytes).toBe(data.length);
      expect(hash).toBe(sha256(data));
    });
    await Promise.all(runs);
    await p.peer.until(() => p.peer.streams.size === 0, 'every stream closed');
  }, 20_000);

  it('stalls only the stream whose consumer is paused, with its buffer bounded by the window', async () => {
    const p = await established();
    const size = 8 * MiB;
    const slow = p.session.open(`source:${size}`);
    slow.pause();
    let maxBuffered = 0;
    const sample = () => (maxBuffered = Math.max(maxBuffered, slow.readableLength));
    slow.on('readable', sample);
    slow.pause();

    const fast = p.session.open('echo');
    const data = Buffer.alloc(6 * MiB, 0x5a);
    const echoed = sha256Until(fast, sample);
    await writeAll(fast, data, 1);
    expect((await echoed).hash).toBe(sha256(data));

    const peerSlow = p.peer.streams.get(slow.id);
    expect(peerSlow?.produced).toBeLessThanOrEqual(INITIAL_WINDOW);
    sample();
    expect(maxBuffered).toBeGreaterThan(0);
    expect(maxBuffered).toBeLessThanOrEqual(INITIAL_WINDOW + MAX_PAYLOAD);

    slow.removeListener('readable', sample);
    const rest = sha256Until(slow, sample);
    slow.resume();
    const { hash, bytes } = await rest;
    expect(bytes).toBe(size);
    expect(hash).toBe(sha256(sourceBytes(0, size)));
    expect(maxBuffered).toBeLessThanOrEqual(INITIAL_WINDOW + MAX_PAYLOAD);
  }, 20_000);

  it('holds write callbacks once the send window is spent, until WINDOW arrives', async () => {
    const p = await established();
    const s = p.session.open('sink');
    s.on('error', () => {});
    let done = 0;
    for (let i = 0; i < 8; i++) s.write(Buffer.alloc(MAX_PAYLOAD, i), () => done++);
    const sunk = () => p.peer.streams.get(s.id)?.received ?? 0;
    await p.peer.until(() => sunk() === INITIAL_WINDOW, 'a full window');
    await new Promise((r) => setTimeout(r, 50));
    expect(sunk()).toBe(INITIAL_WINDOW);
    expect(done).toBeLessThan(8);
    expect(s.writableLength).toBeGreaterThan(0);

    p.peer.credit(s.id, INITIAL_WINDOW);
    await p.peer.until(() => sunk() === 8 * MAX_PAYLOAD, 'the rest');
    await new Promise((r) => setImmediate(r));
    expect(done).toBe(8);
  });
});
