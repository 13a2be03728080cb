// The Windows Docker endpoint plan: who serves which pipe, docker_engine only when free and asked (T-14),
// and the bridges' argv (T-02: the public pipes come from the bridge, which sets their DACL).
import { describe, expect, it } from 'vitest';
import { BERTH_DOCKER_PIPE, DOCKER_ENGINE_PIPE, dockerEngineDecision, dockerPipePlan, privateDockerPipe } from './windowsDockerPipe.ts';

describe('Windows Docker pipes', () => {
  it('docker_engine: only when the user asked and no other engine answers there', () => {
    expect(dockerEngineDecision({ asked: false, answers: false }).serve).toBe(false);
    expect(dockerEngineDecision({ asked: true, answers: true })).toMatchObject({ serve: false, why: expect.stringMatching(/another Docker engine serves/) });
    expect(dockerEngineDecision({ asked: true, answers: false }).serve).toBe(true);
  });
  it('berthd\'s private pipe has a fresh 128-bit name', () => {
    expect(privateDockerPipe(Buffer.alloc(16, 0xab))).toBe(`\\\\.\\pipe\\berth-docker-${'ab'.repeat(16)}`);
    expect(privateDockerPipe()).not.toBe(privateDockerPipe());
  });
  it('one bridge per public pipe, each dialling the private pipe served by berthd\'s pid', () => {
    const priv = privateDockerPipe(Buffer.alloc(16, 1));
    const plan = dockerPipePlan({ privatePipe: priv, berthdPid: 4242, engine: { serve: true } });
    expect(plan.bridges.map((b) => b.argv)).toEqual([
      ['-listen', `pipe:${BERTH_DOCKER_PIPE}`, '-dial', `pipe:${priv}`, '-dial-server-pid', '4242'],
      ['-listen', `pipe:${DOCKER_ENGINE_PIPE}`, '-dial', `pipe:${priv}`, '-dial-server-pid', '4242'],
    ]);
    expect(dockerPipePlan({ privatePipe: priv, berthdPid: 4242, engine: { serve: false } }).bridges).toHaveLength(1);
  });
});
