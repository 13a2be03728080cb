// The TypeScript ExecSession against the real Go berth-agent (`serve -unix`), no VM: processes run on
// this machine through `exec` streams (output, stdin, a pty with resize, signals, kill on close) and the new RPCs.
import type { ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ExecSession, runInGuest } from '../../helpers/berthd/guest/execSession.ts';
import type { LinkSession } from '../../helpers/berthd/guest/linkSession.ts';
import { AgentRpc, AgentRpcError } from '../../helpers/berthd/guest/rpcClient.ts';
import { buildAgent, startAgent } from './agentHarness.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-exec-'));
const agentBin = join(dir, 'berth-agent');
const linkSock = join(dir, 'link.sock');
let agent: ChildProcess;
let socket: Socket;
let session: LinkSession;
const openExec = () => session.open('exec');

/** Resolves with the stdout so far once it contains `want`. */
function stdoutUntil(exec: ExecSession, want: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const onData = (d: Buffer) => {
      out += d.toString('utf8');
      if (out.includes(want)) {
        exec.off('stdout', onData);
        resolve(out);
      }
    };
    exec.on('stdout', onData);
    exec.once('error', reject);
  });
}

function exitOf(exec: ExecSession): Promise<{ code: number; signal: string | null }> {
  return new Promise((resolve, reject) => {
    exec.once('exit', resolve);
    exec.once('error', reject);
  });
}

async function waitGone(pid: number): Promise<boolean> {
  for (let i = 0; i < 200; i++) {
    if (!existsSync(`/proc/${pid}`)) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return false;
}

beforeAll(async () => {
  buildAgent(agentBin);
  ({ agent, socket, session } = await startAgent(agentBin, linkSock, join(dir, 'no-docker.sock')));
}, 120_000);

afterAll(() => {
  session?.close();
  socket?.destroy();
  agent?.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

describe('exec streams: TypeScript host ↔ Go agent', () => {
  it('runs a one-shot command: stdout, stderr and the exit code apart', async () => {
    const r = await runInGuest(openExec, ['/bin/sh', '-c', 'echo hi; echo err >&2; exit 3'], { timeoutMs: 10_000 });
    expect(r).toMatchObject({ code: 3, signal: null });
    expect(r.stdout.toString()).toBe('hi\n');
    expect(r.stderr.toString()).toBe('err\n');
  });

  it('pipes stdin to cat and ends it', async () => {
    const r = await runInGuest(openExec, ['cat'], { stdin: 'piped in\n', timeoutMs: 10_000 });
    expect(r.code).toBe(0);
    expect(r.stdout.toString()).toBe('piped in\n');
    const big = Buffer.alloc(3 * 1024 * 1024, 'berth');
    const back = await runInGuest(openExec, ['cat'], { stdin: big, timeoutMs: 20_000 });
    expect(back.stdout.equals(big)).toBe(true);
  });

  it('passes env and cwd', async () => {
    const r = await runInGuest(openExec, ['sh', '-c', 'echo "$GREETING"; pwd'], { env: ['GREETING=hello'], cwd: dir, timeoutMs: 10_000 });
    expect(r.stdout.toString()).toBe(`hello\n${dir}\n`);
  });

  it('runs /bin/sh on a pty: resize, then `stty size; exit 7`', async () => {
    const sh = ExecSession.start(openExec(), { argv: ['/bin/sh'], tty: true, rows: 24, cols: 80 });
    const exited = exitOf(sh);
    const seen = stdoutUntil(sh, '33 111');
    sh.resize(33, 111);
    sh.write('stty size; exit 7\n');
    expect(await seen).toContain('33 111');
    expect(await exited).toEqual({ code: 7, signal: null });
    expect(sh.exit).toEqual({ code: 7, signal: null });
  });

  it('K SIGINT interrupts sleep 100', async () => {
    const sleep = ExecSession.start(openExec(), { argv: ['sleep', '100'] });
    const exited = exitOf(sleep);
    await new Promise((r) => setTimeout(r, 100));
    sleep.signal('SIGINT');
    const exit = await exited;
    expect(exit.signal === 'SIGINT' || exit.code === 130).toBe(true);
  });

  it('closing the session kills the process', async () => {
    for (const tty of [false, true]) {
      const exec = ExecSession.start(openExec(), { argv: ['sh', '-c', 'echo $$; exec sleep 100'], tty });
      const pid = Number((await stdoutUntil(exec, '\n')).trim());
      expect(pid).toBeGreaterThan(1);
      expect(existsSync(`/proc/${pid}`)).toBe(true);
      exec.close();
      expect(await waitGone(pid)).toBe(true);
    }
  });

  it('reports a program that cannot start, and kills one that times out', async () => {
    await expect(runInGuest(openExec, ['no-such-program-berth'])).rejects.toThrow(/could not start no-such-program-berth: program "no-such-program-berth" not found/);
    const started = Date.now();
    await expect(runInGuest(openExec, ['sleep', '100'], { timeoutMs: 300 })).rejects.toThrow(/did not finish within 300 ms/);
    expect(Date.now() - started).toBeLessThan(5000);
  });

  it('rpc: time.get, vm.info and disk.trim answer', async () => {
    const rpc = AgentRpc.open(session);
    const before = Date.now();
    const t = await rpc.call<{ unixNanos: number }>('time.get');
    expect(Math.abs(t.unixNanos / 1e6 - before)).toBeLessThan(5000);

    const info = await rpc.call<{ cpus: number; memTotalBytes: number; uptimeSeconds: number; dataDisk?: { totalBytes: number; freeBytes: number } }>('vm.info');
    expect(info.cpus).toBeGreaterThanOrEqual(1);
    expect(info.memTotalBytes).toBeGreaterThan(64 * 1024 * 1024);
    expect(info.uptimeSeconds).toBeGreaterThan(0);
    if (info.dataDisk !== undefined) expect(info.dataDisk.freeBytes).toBeLessThanOrEqual(info.dataDisk.totalBytes);

    // The agent trims /var/lib/docker, which this machine may lack or be unable to discard.
    try {
      const trim = await rpc.call<{ trimmedBytes: number; path: string }>('disk.trim', {}, 120_000);
      expect(trim.path).toBe('/var/lib/docker');
      expect(trim.trimmedBytes).toBeGreaterThanOrEqual(0);
    } catch (e) {
      expect(e).toBeInstanceOf(AgentRpcError);
      const err = e as AgentRpcError;
      expect(['unsupported', 'failed']).toContain(err.code);
      expect(err.message).toMatch(/\/var\/lib\/docker/);
    }
    rpc.close();
  }, 150_000);
});
