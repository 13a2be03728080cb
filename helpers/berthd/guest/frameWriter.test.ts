// Owns: tests of frameWriter.ts with a hand-driven transport: whole frames in order, control frames
// first, round-robin between streams, no pulling while the transport wants 'drain', bounded PINGs.
import { Duplex } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FrameDecoder, type Frame } from './frameCodec.ts';
import { FrameWriter, MAX_DROPPABLE_QUEUED, type FrameSource } from './frameWriter.ts';

/** A transport that accepts writes but completes them only when release() is called. */
function heldTransport() {
  const decoder = new FrameDecoder();
  const frames: Frame[] = [];
  const held: (() => void)[] = [];
  const transport = new Duplex({
    writableHighWaterMark: 1,
    read() {},
    write(chunk: Buffer, _enc, cb) {
      frames.push(...decoder.push(chunk));
      held.push(() => cb());
    },
  });
  const release = async () => {
    while (held.length > 0) {
      held.shift()?.();
      await new Promise((r) => setImmediate(r));
    }
  };
  return { transport, frames, release };
}

function source(stream: number, count: number): FrameSource & { pulls: number } {
  let left = count;
  return {
    pulls: 0,
    hasFrames: () => left > 0,
    pullFrame() {
      this.pulls++;
      if (left === 0) return null;
      left--;
      return { type: 'DATA', stream, payload: Buffer.from(`${stream}:${count - left}`) };
    },
  };
}

const show = (fs: Frame[]) => fs.map((f) => (f.type === 'DATA' ? f.payload.toString() : f.type));

describe('FrameWriter', () => {
  it('stops pulling while the transport wants drain, then sends control frames first and streams in turn', async () => {
    const t = heldTransport();
    const w = new FrameWriter(t.transport);
    const a = source(1, 3);
    const b = source(3, 3);
    w.wake(a);
    w.wake(b);
    await new Promise((r) => process.nextTick(r)); // the tick's frames leave when it ends (cork)
    // The first frame filled the transport past its high-water mark: nothing else is pulled.
    expect(show(t.frames)).toEqual(['1:1']);
    expect(w.isBlocked).toBe(true);
    expect(a.pulls + b.pulls).toBe(1);
    let accepted = 0;
    for (let i = 0; i < MAX_DROPPABLE_QUEUED + 5; i++) {
      if (w.send({ type: 'PING', stream: 0, payload: Buffer.alloc(8, i) }, { droppable: true })) accepted++;
    }
    expect(accepted).toBe(MAX_DROPPABLE_QUEUED);
    expect(w.send({ type: 'RESET', stream: 5, payload: Buffer.from('gone') })).toBe(true);
    await t.release();
    expect(show(t.frames)).toEqual([
      '1:1',
      ...Array.from({ length: MAX_DROPPABLE_QUEUED }, () => 'PING'),
      'RESET',
      '1:2',
      '3:1',
      '1:3',
      '3:2',
      '3:3',
    ]);
    expect(w.isBlocked).toBe(false);
  });

  it("sends the frames of one tick in one writev, and the next tick's in another", async () => {
    const batches: number[] = [];
    const transport = new Duplex({
      read() {},
      writev(chunks, cb) {
        batches.push(chunks.length);
        cb();
      },
    });
    const w = new FrameWriter(transport);
    w.wake(source(1, 3));
    w.send({ type: 'PING', stream: 0, payload: Buffer.alloc(8) });
    expect(batches, 'nothing before the tick ends').toEqual([]);
    await new Promise((r) => setImmediate(r));
    w.wake(source(2, 2));
    await new Promise((r) => setImmediate(r));
    expect(batches).toEqual([4, 2]);
  });

  it('writes nothing after stop()', async () => {
    const t = heldTransport();
    const w = new FrameWriter(t.transport);
    w.stop();
    w.wake(source(1, 2));
    expect(w.send({ type: 'PING', stream: 0, payload: Buffer.alloc(8) })).toBe(false);
    await t.release();
    expect(t.frames).toEqual([]);
  });
});
