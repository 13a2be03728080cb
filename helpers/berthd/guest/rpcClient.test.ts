// Owns: tests of rpcClient.ts over a real link session to the fake guest's `rpc` target: results,
// agent errors, concurrent out-of-order answers, timeouts, and a failing stream.
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { startLinkPair, type LinkPair } from './fakeGuestPeer.ts';
import { AgentRpc, AgentRpcError } from './rpcClient.ts';

const pairs: LinkPair[] = [];
afterEach(async () => {
  for (const p of pairs.splice(0)) await p.dispose();
});

async function rpc(): Promise<{ p: LinkPair; client: AgentRpc }> {
  const p = await startLinkPair();
  pairs.push(p);
  await once(p.session, 'hello');
  return { p, client: AgentRpc.open(p.session) };
}

describe('AgentRpc', () => {
  it('calls agent.version', async () => {
    const { client } = await rpc();
    await expect(client.call('agent.version')).resolves.toEqual({ version: '0.1.0', go: 'go1.22.5', kernel: '6.1.0' });
  });

  it("rejects with the agent's error code and message", async () => {
    const { client } = await rpc();
    const err = await client.call('no.such').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AgentRpcError);
    expect(err).toMatchObject({ code: 'unknown-method', method: 'no.such' });
    expect((err as Error).message).toContain('no method no.such');
  });

  it('matches concurrent calls answered out of order by id', async () => {
    const { client } = await rpc();
    const calls = [60, 10, 35, 0].map((ms) => client.call('delay', { ms }));
    await expect(Promise.all(calls)).resolves.toEqual([{ waited: 60 }, { waited: 10 }, { waited: 35 }, { waited: 0 }]);
  });

  it('times out a call that gets no answer, and keeps working', async () => {
    const { client } = await rpc();
    await expect(client.call('never', {}, 50)).rejects.toMatchObject({ code: 'timeout' });
    await expect(client.call('agent.version')).resolves.toMatchObject({ version: '0.1.0' });
  });

  it('rejects every pending call when the stream is reset, and later calls at once', async () => {
    const { client } = await rpc();
    const pending = client.call('never');
    const crash = client.call('crash');
    for (const r of await Promise.allSettled([pending, crash])) {
      expect(r.status).toBe('rejected');
      expect((r as PromiseRejectedResult).reason).toMatchObject({ code: 'link' });
      expect(String((r as PromiseRejectedResult).reason)).toContain('agent panicked');
    }
    await expect(client.call('agent.version')).rejects.toMatchObject({ code: 'link' });
  });

  it('takes responses split across chunks and several per chunk; an unparsable line breaks the client', async () => {
    // A stand-in stream: the client's writes are recorded, what the test pushes is its input.
    const requests: string[] = [];
    const fake = Object.assign(new PassThrough(), { write: (line: string) => (requests.push(line), true) });
    const client = new AgentRpc(fake);
    const a = client.call('a');
    const b = client.call('b');
    expect(requests.map((r) => JSON.parse(r) as { id: number; method: string })).toEqual([
      { id: 1, method: 'a', params: {} },
      { id: 2, method: 'b', params: {} },
    ]);
    fake.push('{"id":2,"result":"B"}\n{"id":1,');
    fake.push('"result":"A"}\n');
    await expect(Promise.all([a, b])).resolves.toEqual(['A', 'B']);
    const c = client.call('c');
    fake.on('error', () => {});
    fake.push('not json\n');
    await expect(c).rejects.toMatchObject({ code: 'link' });
    expect(fake.destroyed).toBe(true);
  });
});
