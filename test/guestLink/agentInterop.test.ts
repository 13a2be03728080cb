// The TypeScript host session against the real Go berth-agent (`serve -unix`), no VM: the two
// codecs interoperate on docker (half-close, T-10), tcp:<port>, rpc, and many parallel streams.
import type { ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkSession } from '../../helpers/berthd/guest/linkSession.ts';
import type { LinkStream } from '../../helpers/berthd/guest/linkStream.ts';
import { AgentRpc } from '../../helpers/berthd/guest/rpcClient.ts';
import { buildAgent, startAgent } from './agentHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-interop-'));
const agentBin = join(dir, 'berth-agent');
const dockerSock = join(dir, 'docker.sock');
const linkSock = join(dir, 'link.sock');
let agent: ChildProcess;
let echoUnix: Server;
let echoTcp: Server;
let tcpPort = 0;
let socket: Socket;
let session: LinkSession;

/** An echo server that half-closes after its client does, like a hijacked `cat`. */
function echoServer(): Server {
  return createServer({ allowHalfOpen: true }, (c) => {
    c.on('error', () => {}); // the agent is killed on purpose in one test
    c.pipe(c);
  });
}

function collect(s: LinkStream): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    s.on('data', (d: Buffer) => chunks.push(d));
    s.on('end', () => resolve(Buffer.concat(chunks)));
    s.on('error', reject);
  });
}

async function restartAgent(): Promise<void> {
  ({ agent, socket, session } = await startAgent(agentBin, linkSock, dockerSock));
}

beforeAll(async () => {
  buildAgent(agentBin);
  echoUnix = echoServer();
  await new Promise<void>((r) => echoUnix.listen(dockerSock, r));
  echoTcp = echoServer();
  await new Promise<void>((r) => echoTcp.listen(0, '127.0.0.1', r));
  tcpPort = (echoTcp.address() as { port: number }).port;
  await restartAgent();
}, 120_000);

afterAll(() => {
  session?.close();
  socket?.destroy();
  agent?.kill('SIGKILL');
  echoUnix?.close();
  echoTcp?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('guest link: TypeScript host ↔ Go agent', () => {
  it('T-10: docker stream half-close: "hi" goes in, comes back, then EOF', async () => {
    const s = session.open('docker');
    const got = collect(s);
    s.end('hi\n');
    expect((await got).toString()).toBe('hi\n');
  });

  it('tcp:<port> reaches a guest-local TCP server', async () => {
    const s = session.open(`tcp:${tcpPort}`);
    const got = collect(s);
    s.end('over tcp');
    expect((await got).toString()).toBe('over tcp');
  });

  it('an unreachable target is reset with the dial error as the reason', async () => {
    const s = session.open('tcp:1');
    const err = await new Promise<Error>((resolve) => s.on('error', resolve).resume());
    expect(err.message).toMatch(/refused|dial/i);
  });

  it('rpc: agent.version and ping', async () => {
    const rpc = AgentRpc.open(session);
    const v = await rpc.call<{ version: string; go: string; kernel: string }>('agent.version');
    expect(v.go).toMatch(/^go1\./);
    expect(v.kernel.length).toBeGreaterThan(0);
    const p = await rpc.call<{ uptimeSeconds: number }>('ping');
    expect(p.uptimeSeconds).toBeGreaterThan(0);
    rpc.close();
  });

  it('32 parallel streams of 4 MiB each come back byte for byte', async () => {
    const results = await Promise.all(
      [...Array(32)].map(async () => {
        const data = randomBytes(4 * 1024 * 1024);
        const s = session.open('docker');
        const got = collect(s);
        s.end(data);
        const back = await got;
        return createHash('sha256').update(back).digest('hex') === createHash('sha256').update(data).digest('hex');
      }),
    );
    expect(results.every(Boolean)).toBe(true);
  });

  it('a restarted agent is a new session: old streams fail, new ones work', async () => {
    const held = session.open('docker');
    const heldErr = new Promise<Error | undefined>((resolve) => {
      held.on('error', resolve);
      held.on('close', () => resolve(undefined));
    });
    held.resume();
    held.write('x');
    agent.kill('SIGKILL');
    await heldErr;
    expect(held.destroyed).toBe(true);
    socket.destroy();
    await restartAgent();
    const s = session.open('docker');
    const got = collect(s);
    s.end('after restart');
    expect((await got).toString()).toBe('after restart');
  });
});
