// Owns: tests of the host-shell terminal with a real node-pty — output and exit code, resize seen by
// `stty size`, the Ctrl-C byte, and close() leaving no process of the session behind (T-41) — and its plan.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { chooseHostShell, hostShellEnv, hostShellPlan } from './hostShellPlan.ts';
import { HostShellSession } from './hostShellSession.ts';
import type { SessionEnd } from './terminalSession.ts';

const sessions: HostShellSession[] = [];
afterEach(async () => {
  await Promise.all(sessions.splice(0).map((s) => s.close()));
});

function start(args: string[], size = { cols: 80, rows: 24 }): { session: HostShellSession; output: () => string; ended: Promise<SessionEnd> } {
  const session = new HostShellSession({ file: '/bin/sh', args, cwd: '/tmp', env: hostShellEnv(process.env, '/tmp/x/docker.sock'), title: 'sh on this machine', ...size });
  sessions.push(session);
  let text = '';
  session.onData((d) => (text += d.toString('utf8')));
  const ended = new Promise<SessionEnd>((resolve) => session.onExit(resolve));
  return { session, output: () => text, ended };
}

async function until(what: string, check: () => boolean, timeoutMs = 10_000): Promise<void> {
  for (let waited = 0; !check(); waited += 20) {
    if (waited > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function alive(pid: number): boolean {
  try {
    // A zombie still answers kill(0): count it as gone only once /proc says so.
    return !/^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

describe('HostShellSession (real node-pty)', () => {
  it('passes the output and the exit code', async () => {
    const t = start(['-c', 'echo hi; exit 3']);
    expect(await t.ended).toEqual({ type: 'exit', code: 3 });
    expect(t.output()).toContain('hi');
  });

  it('a resize is seen by `stty size` in the pty', async () => {
    const t = start(['-c', 'read line; stty size; exit 0'], { cols: 80, rows: 24 });
    t.session.resize(132, 41);
    t.session.write(Buffer.from('go\r'));
    await t.ended;
    expect(t.output()).toMatch(/^41 132\r?$/m);
  });

  it('the Ctrl-C byte interrupts `sleep` (the tty sends SIGINT to the foreground job)', async () => {
    const t = start(['-c', 'echo started; /bin/sleep 100; echo "after=$?"; exit 0']);
    await until('the shell to start', () => t.output().includes('started'));
    await new Promise((r) => setTimeout(r, 200)); // let sleep run
    t.session.write(Buffer.from([0x03]));
    const end = await t.ended;
    expect(end.type).toBe('exit');
    // Either sh saw sleep die of SIGINT (130) or sh itself was interrupted with it.
    expect(t.output().includes('after=130') || (end.type === 'exit' && end.code === 130)).toBe(true);
  });

  it('an explicit SIGTERM reaches the foreground job', async () => {
    const t = start(['-c', 'echo started; /bin/sleep 100; echo "after=$?"; exit 0']);
    await until('the shell to start', () => t.output().includes('started'));
    await new Promise((r) => setTimeout(r, 200));
    t.session.signal('SIGTERM');
    const end = await t.ended;
    expect(t.output().includes('after=143') || (end.type === 'exit' && end.code === 143)).toBe(true);
  });

  it('T-41: close() ends the shell and the children in its group, and no exit is reported after it', async () => {
    const t = start(['-c', 'trap "" HUP; /bin/sleep 1000 & echo "child=$!"; exec /bin/sleep 1000']);
    await until('the child pid', () => /child=\d+/.test(t.output()));
    const child = Number(/child=(\d+)/.exec(t.output())?.[1]);
    const leader = t.session.pid;
    expect(alive(child) && alive(leader)).toBe(true);
    let reported = false;
    t.session.onExit(() => (reported = true));
    await t.session.close();
    await until('the processes to be gone', () => !alive(child) && !alive(leader));
    expect(reported).toBe(false);
  });
});

describe('hostShellPlan', () => {
  it('uses an executable absolute $SHELL, else /bin/bash, else /bin/sh', () => {
    expect(chooseHostShell({ SHELL: '/usr/bin/zsh' }, (p) => p === '/usr/bin/zsh')).toBe('/usr/bin/zsh');
    expect(chooseHostShell({ SHELL: '/usr/bin/zsh' }, (p) => p === '/bin/bash')).toBe('/bin/bash');
    expect(chooseHostShell({ SHELL: 'zsh' }, () => true)).toBe('/bin/bash');
    expect(chooseHostShell({}, () => false)).toBe('/bin/sh');
  });

  it('points Docker at Berth, drops DOCKER_CONTEXT, sets TERM, keeps the rest', () => {
    const env = hostShellEnv({ HOME: '/home/ann', DOCKER_CONTEXT: 'desktop-linux', DOCKER_HOST: 'tcp://elsewhere:2375', TMUX: '/tmp/tmux', PATH: '/usr/bin', EMPTY: undefined }, '/home/ann/.berth/run/docker.sock');
    expect(env).toEqual({ HOME: '/home/ann', DOCKER_HOST: 'unix:///home/ann/.berth/run/docker.sock', PATH: '/usr/bin', TERM: 'xterm-256color', COLORTERM: 'truecolor' });
  });

  it('runs in the home directory and names the shell in the title', () => {
    const plan = hostShellPlan({ SHELL: '/bin/bash' }, '/s/docker.sock', '/home/ann', (p) => p === '/bin/bash');
    expect(plan).toMatchObject({ file: '/bin/bash', args: [], cwd: '/home/ann', title: 'bash on this machine' });
  });
});
