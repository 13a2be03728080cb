// Owns: a seeded fuzz test of dockerApiGuard.ts: random conversations (creates allowed and refused, binary
// bodies, raw switches, garbage) cut at random; dockerd must get the input minus the refused creates, in order.
import { describe, expect, it } from 'vitest';
import { checkContainerCreate, type Share } from './bindMountCheck.ts';
import { guardDockerConnection, refusalResponse } from './dockerApiGuard.ts';
import { seededPrng } from '../guest/seededPrng.ts';
import { FakeDuplex, until } from './fakeDuplex.ts';

const SHARES: Share[] = [{ hostPath: '/home/ann', writable: true }, { hostPath: '/srv/ro', writable: false }];

/** The guest link's seeded generator (mulberry32), so a failure names the seed that reproduces it. */
function rng(seed: number): { int: (n: number) => number; pick: <T>(xs: T[]) => T; bytes: (n: number) => Buffer } {
  const p = seededPrng(seed);
  return { int: p.int, pick: (xs) => xs[p.int(xs.length)]!, bytes: p.bytes };
}
type Rng = ReturnType<typeof rng>;

/** One request as the client sends it, and what the model says happens to it. */
type Piece = { bytes: Buffer; fate: 'answered' | 'refused' | 'raw' };

const TRICKY = ['\r\n\r\n', 'POST /containers/create HTTP/1.1\r\n', 'Content-Length: 5\r\n', '\n\n', 'Transfer-Encoding: chunked\r\n'];

function body(r: Rng): Buffer {
  const parts = Array.from({ length: r.int(4) }, () => (r.int(2) ? r.bytes(r.int(40)) : Buffer.from(r.pick(TRICKY))));
  return Buffer.concat(parts);
}

function head(r: Rng, line: string, length: number | undefined, extra = ''): string {
  const pads = Array.from({ length: r.int(3) }, () => `X-Pad-${r.int(9)}: ${'v'.repeat(r.int(30))}\r\n`).join('');
  const version = r.pick(['', '/v1.41', '/v1.47']);
  return `${line.replace('{v}', version)}\r\nHost: api.moby.localhost\r\n${pads}${extra}${length === undefined ? '' : `Content-Length: ${length}\r\n`}\r\n`;
}

function request(r: Rng, line: string, b: Buffer | undefined, extra = ''): Buffer {
  return Buffer.concat([Buffer.from(head(r, line, b?.length, extra), 'latin1'), b ?? Buffer.alloc(0)]);
}

function createJson(r: Rng, refused: boolean): string {
  const inside = ['/home/ann/a:/a', '/home/ann/x/../y:/y:ro', 'vol:/v', '/srv/ro/z:/z:ro', '/var/run/docker.sock:/var/run/docker.sock', '/anon'];
  const outside = ['/opt/data:/data', '/home/annex:/x', '/home/ann/../bob:/b', '/srv/ro/w:/w', 'C:\\data:/d'];
  const binds = Array.from({ length: r.int(3) }, () => r.pick(inside));
  if (refused) binds.splice(r.int(binds.length + 1), 0, r.pick(outside));
  return JSON.stringify({ Image: 'alpine', Cmd: ['sh', '-c', 'x'.repeat(r.int(200))], HostConfig: { Binds: binds } });
}

/** A conversation: requests until, maybe, one that turns the connection raw, then anything. */
function conversation(r: Rng): Piece[] {
  const out: Piece[] = [];
  let raw = false;
  for (let n = 1 + r.int(8); n > 0; n--) {
    const kind = r.int(raw ? 3 : 12);
    let p: Piece;
    if (kind === 0) p = { bytes: request(r, 'POST {v}/containers/create?name=x HTTP/1.1', Buffer.from(createJson(r, true))), fate: 'refused' };
    else if (kind === 1) p = { bytes: request(r, 'POST {v}/containers/create HTTP/1.1', Buffer.from(createJson(r, false))), fate: 'answered' };
    else if (kind === 2) p = { bytes: r.bytes(1 + r.int(60)), fate: 'raw' };
    else if (kind === 3) p = { bytes: request(r, 'GET {v}/containers/json?all=1 HTTP/1.1', undefined), fate: 'answered' };
    else if (kind === 4) p = { bytes: request(r, `PUT {v}/volumes/v${r.int(9)} HTTP/1.1`, body(r)), fate: 'answered' };
    else if (kind === 5) p = { bytes: request(r, 'POST {v}/containers/create HTTP/1.1', body(r)), fate: 'answered' };
    else if (kind === 6) p = { bytes: request(r, 'POST {v}/containers/create HTTP/1.1', undefined), fate: 'answered' };
    else if (kind === 7) p = { bytes: Buffer.from(`${head(r, 'POST {v}/containers/create HTTP/1.1', undefined, 'Transfer-Encoding: chunked\r\n')}5\r\nhello\r\n0\r\n\r\n`), fate: 'raw' };
    else if (kind === 8) p = { bytes: request(r, 'POST {v}/containers/c1/attach?stream=1 HTTP/1.1', undefined, 'Connection: Upgrade\r\nUpgrade: tcp\r\n'), fate: 'raw' };
    else if (kind === 9) p = { bytes: request(r, 'POST {v}/exec/e1/start HTTP/1.1', Buffer.from('{"Tty":false}')), fate: 'raw' };
    else if (kind === 10) p = { bytes: request(r, 'POST {v}/containers/create HTTP/1.1', Buffer.from(createJson(r, true)), 'Expect: 100-continue\r\n'), fate: 'raw' };
    else p = { bytes: Buffer.concat([Buffer.from([r.int(32)]), r.bytes(r.int(80))]), fate: 'raw' };
    if (raw) p.fate = 'raw';
    raw ||= p.fate === 'raw';
    out.push(p);
  }
  return out;
}

function reply(r: Rng, i: number): Buffer {
  const text = `{"n":${i}}`;
  return Buffer.from(
    r.int(2)
      ? `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: ${text.length}\r\n\r\n${text}`
      : `HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n${text.length.toString(16)}\r\n${text}\r\n0\r\n\r\n`,
  );
}

/** Run one seeded conversation through the guard; checks both directions against the model. */
async function runOne(seed: number): Promise<void> {
  const r = rng(seed);
  const pieces = conversation(r);
  const input = Buffer.concat(pieces.map((p) => p.bytes));
  const forwarded = Buffer.concat(pieces.filter((p) => p.fate !== 'refused').map((p) => p.bytes));
  // The fake dockerd answers each request it was meant to answer once all of it has arrived.
  const answerAt: { end: number; reply: Buffer }[] = [];
  let offset = 0;
  const expectedClient: Buffer[] = [];
  for (const [i, p] of pieces.entries()) {
    if (p.fate === 'refused') {
      const check = checkContainerCreate(JSON.parse(p.bytes.subarray(p.bytes.indexOf('\r\n\r\n') + 4).toString()), SHARES);
      expect(check.ok, `seed ${seed}: the model's refused create is refused`).toBe(false);
      expectedClient.push(refusalResponse((check as { message: string }).message));
      continue;
    }
    offset += p.bytes.length;
    if (p.fate === 'answered') {
      const rep = reply(r, i);
      answerAt.push({ end: offset, reply: rep });
      expectedClient.push(rep);
    }
  }
  const client = new FakeDuplex();
  const dockerd = new FakeDuplex(r.int(4) === 0);
  const log: string[] = [];
  let received = 0;
  // Answers go out in order, each in two pieces on later turns.
  let answering = Promise.resolve();
  const later = (): Promise<void> => new Promise((res) => setImmediate(res));
  dockerd.onWrite = (chunk) => {
    received += chunk.length;
    while (answerAt.length > 0 && received >= answerAt[0]!.end) {
      const rep = answerAt.shift()!.reply;
      const cut = r.int(rep.length + 1);
      answering = answering.then(async () => {
        await later();
        dockerd.push(rep.subarray(0, cut));
        await later();
        dockerd.push(rep.subarray(cut));
      });
    }
  };
  guardDockerConnection(client, dockerd, { shares: () => SHARES, log: (m) => log.push(m) });
  for (let at = 0; at < input.length; ) {
    const n = 1 + (r.int(4) === 0 ? r.int(400) : r.int(12));
    client.push(input.subarray(at, at + n));
    at += n;
    if (r.int(3) === 0) await new Promise((res) => setImmediate(res));
  }
  client.push(null);
  await dockerd.ended();
  expect(dockerd.bytes().toString('latin1'), `seed ${seed}: bytes at dockerd`).toBe(forwarded.toString('latin1'));
  const want = Buffer.concat(expectedClient);
  await until(() => client.bytes().length >= want.length, `seed ${seed}: the answers`);
  expect(client.bytes().toString('latin1'), `seed ${seed}: bytes at the client`).toBe(want.toString('latin1'));
  // Every refusal was placed in turn: none was passed on for losing track of dockerd's answers.
  expect(log.filter((m) => !m.startsWith('docker: refused a container create: ')), `seed ${seed}`).toEqual([]);
}

describe('guardDockerConnection fuzz', () => {
  it('random conversations at random cuts: dockerd gets the input minus the refused creates, the client every answer in order', async () => {
    for (let seed = 1; seed <= 400; seed++) await runOne(seed);
  });

  it('random bytes pass byte-identical, and nothing is answered', async () => {
    for (let seed = 1; seed <= 200; seed++) {
      const r = rng(seed * 7919);
      const input = r.bytes(1 + r.int(3000));
      const client = new FakeDuplex();
      const dockerd = new FakeDuplex();
      guardDockerConnection(client, dockerd, { shares: () => SHARES, log: () => {} });
      for (let at = 0; at < input.length; ) {
        const n = 1 + r.int(50);
        client.push(input.subarray(at, at + n));
        at += n;
      }
      client.push(null);
      await dockerd.ended();
      expect(dockerd.bytes().equals(input), `seed ${seed * 7919}`).toBe(true);
      expect(client.bytes().length).toBe(0);
    }
  });
});
