// Owns: joining a Docker client connection to its dockerd stream like spliceStreams, while refusing container
// creates whose bind mounts lie outside the shares with a 400 of Berth's own; anything unusual is passed raw.
import type { Duplex } from 'node:stream';
import { checkContainerCreate, type CreateCheck, type Share } from './bindMountCheck.ts';
import { RequestSplitter, type Segment } from './httpRequestParser.ts';
import { ResponseTracker } from './httpResponseTracker.ts';
import { bindLifetimes } from './spliceStreams.ts';

export type GuardOptions = { shares: () => Share[]; log: (m: string) => void };
type Refusal = { message: string; request: Buffer; close: boolean };

/** The answer the docker CLI prints as "Error response from daemon: <message>". */
export function refusalResponse(message: string, close = false): Buffer {
  const body = Buffer.from(JSON.stringify({ message }), 'utf8');
  const head = ['HTTP/1.1 400 Bad Request', 'Content-Type: application/json', `Content-Length: ${body.length}`, ...(close ? ['Connection: close'] : [])];
  return Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), body]);
}

/** The verdict on a create body; a body that is not JSON, or shares that cannot be read, go to dockerd. */
export function judgeCreate(body: Buffer, shares: () => Share[], log: (m: string) => void): CreateCheck {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    return { ok: true };
  }
  try {
    return checkContainerCreate(parsed, shares());
  } catch (e) {
    log(`docker: could not check a container's bind mounts, passing it on: ${(e as Error).message}`);
    return { ok: true };
  }
}

/** A drop-in for spliceStreams(client, stream, log, 'docker'); dockerd's bytes to the client are never changed. */
export function guardDockerConnection(client: Duplex, stream: Duplex, opts: GuardOptions): void {
  const splitter = new RequestSplitter();
  const tracker = new ResponseTracker();
  const queue: Segment[] = [];
  /** A refusal waiting for dockerd to finish answering the requests before it. */
  let waiting: Refusal | undefined;
  let clientEnded = false;

  bindLifetimes(client, stream, opts.log, 'docker');
  // dockerd → client: piped as is, and watched (after the pipe's own write) to know when answers end.
  stream.pipe(client);
  stream.on('data', (d: Buffer) => {
    if (tracker.lost) return;
    tracker.push(d);
    // Lost track (a 101, a response nobody asked for…): stop parsing the client's side too.
    if (tracker.lost && !waiting) {
      opts.log(`docker: no longer checking container creates on this connection: ${tracker.lostWhy}`);
      goRaw(tracker.lostWhy ?? 'lost track of the answers');
    }
    if (waiting || tracker.lost) pump();
  });
  client.on('data', (d: Buffer) => {
    queue.push(...splitter.push(d));
    pump();
  });
  client.on('end', () => {
    clientEnded = true;
    queue.push(...splitter.end());
    pump();
  });
  stream.on('drain', () => pump());

  const toDockerd = (bytes: Buffer): void => {
    if (!stream.writableEnded && !stream.destroyed) stream.write(bytes);
  };
  const goRaw = (why: string): void => {
    tracker.stop(why);
    queue.push(...splitter.goRaw([], why));
  };

  const answer = (w: Refusal): void => {
    opts.log(`docker: refused a container create: ${w.message}`);
    if (!client.writableEnded && !client.destroyed) client.write(refusalResponse(w.message, w.close));
    if (w.close) {
      // The client asked to close after this request: what it sends after is dropped, and dockerd's stream is done.
      tracker.stop('the client asked to close');
      splitter.goRaw([], 'the client asked to close');
      queue.length = 0;
      client.end();
      stream.end();
    }
  };

  function pump(): void {
    if (waiting) {
      if (tracker.lost) {
        // dockerd's answers can no longer be followed: the refusal cannot be placed, so dockerd decides.
        opts.log(`docker: passing on a container create it would refuse, because ${tracker.lostWhy}`);
        const w = waiting;
        waiting = undefined;
        toDockerd(w.request);
        goRaw(tracker.lostWhy ?? 'lost track of the answers');
      } else if (tracker.outstanding > 0) return;
      else {
        const w = waiting;
        waiting = undefined;
        answer(w);
      }
    }
    while (queue.length > 0 && !waiting) {
      const seg = queue.shift()!;
      if (seg.kind === 'pass') toDockerd(seg.bytes);
      else if (seg.kind === 'request') tracker.expect(seg.method);
      else if (seg.kind === 'raw') tracker.stop(seg.why);
      else onCreate(seg);
    }
    if (clientEnded && queue.length === 0 && !waiting && !stream.writableEnded) stream.end();
    // Hold the client while dockerd's side is full or a refusal waits its turn.
    if (waiting || stream.writableNeedDrain) client.pause();
    else if (!clientEnded) client.resume();
  }

  function onCreate(seg: Extract<Segment, { kind: 'create' }>): void {
    const verdict = tracker.lost ? { ok: true as const } : judgeCreate(seg.body, opts.shares, opts.log);
    if (verdict.ok) {
      tracker.expect('POST');
      toDockerd(seg.bytes);
      return;
    }
    const w = { message: verdict.message, request: seg.bytes, close: seg.close };
    if (tracker.outstanding > 0) waiting = w;
    else answer(w);
  }
}
