// SupervisedProcess with real child processes (node scripts standing in for hvsock-bridge): restarted with
// the same argv after a SIGKILL, trouble said while down and cleared once it serves; a first run that
// fails rejects start(); quick exits given up on; stop() during a restart delay leaves nothing running.
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { processAlive, waitForExit } from './processLiveness.ts';
import { SupervisedProcess, type SupervisedOptions } from './supervisedProcess.ts';

/** Says "serving <argv>" on stderr, then stays until killed (or exits with `code` after saying it). */
const serving = (code?: number): string[] => ['-e', `process.stderr.write('serving ' + process.argv.slice(1).join(' ') + '\\n'); ${code === undefined ? 'setInterval(() => {}, 1e6)' : `process.exit(${code})`}`];
const started: SupervisedProcess[] = [];

function supervise(o: Partial<SupervisedOptions> & { argv: string[] }): { p: SupervisedProcess; logs: string[]; trouble: (string | undefined)[] } {
  const logs: string[] = [];
  const trouble: (string | undefined)[] = [];
  const p = new SupervisedProcess({ name: 'stand-in bridge', binary: process.execPath, log: (m) => logs.push(m), onTrouble: (w) => trouble.push(w), readyLine: (l) => l.startsWith('serving'), ...o });
  started.push(p);
  return { p, logs, trouble };
}

async function until(cond: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

afterEach(async () => {
  for (const p of started.splice(0)) await p.stop();
});

describe('SupervisedProcess', () => {
  it('T-26: a SIGKILLed run is started again with the same argv; down while it is, then cleared', async () => {
    const { p, logs, trouble } = supervise({ argv: [...serving(), 'a b', '-listen', 'unix:/x'] });
    await p.start();
    const first = p.pid!;
    const argv = readFileSync(`/proc/${first}/cmdline`, 'utf8');
    process.kill(first, 'SIGKILL');
    await until(() => p.state === 'up' && p.pid !== undefined && p.pid !== first);
    expect(readFileSync(`/proc/${p.pid!}/cmdline`, 'utf8')).toBe(argv);
    expect(p.restarts).toBe(1);
    expect(trouble).toEqual([expect.stringMatching(/^stand-in bridge exited \(SIGKILL\): serving a b -listen unix:\/x; berthd is starting it again$/), undefined]);
    expect(logs.join('\n')).toMatch(/starting it again in 0\.2 s \(exit 1 in a row\)/);
    expect(logs.join('\n')).toMatch(/stand-in bridge serves again \(pid \d+, restart 1\)/);
    expect(processAlive(first)).toBe(false);
  });

  it('a first run that exits before it serves rejects start() with its last line, and is not restarted', async () => {
    const { p, trouble } = supervise({ argv: ['-e', `process.stderr.write('cannot listen on pipe:x: in use\\n'); process.exit(1)`] });
    await expect(p.start()).rejects.toThrow(/^stand-in bridge exited \(code 1\): cannot listen on pipe:x: in use$/);
    await new Promise((r) => setTimeout(r, 400));
    expect([p.state, p.restarts, trouble]).toEqual(['stopped', 0, []]);
  });

  it('a binary that is missing rejects start() saying it could not start', async () => {
    const { p } = supervise({ argv: [], binary: '/nonexistent/hvsock-bridge' });
    await expect(p.start()).rejects.toThrow(/stand-in bridge could not start \(spawn \/nonexistent\/hvsock-bridge ENOENT\)/);
  });

  it('a first run that never says it serves is ended after the timeout', async () => {
    const { p } = supervise({ argv: ['-e', 'setInterval(() => {}, 1e6)'], readyTimeoutMs: 300 });
    const run = p.start();
    await until(() => p.pid !== undefined);
    const pid = p.pid!;
    await expect(run).rejects.toThrow(/did not say it serves within 0\.3 s/);
    expect(await waitForExit(pid, 5000)).toBe(true);
  });

  it('quick exits in a row are restarted, then given up on with the reason and what to do', async () => {
    const { p, trouble } = supervise({ argv: serving(), policy: { firstDelayMs: 10, maxDelayMs: 40, stableMs: 60_000, maxRestarts: 3 } });
    await p.start();
    // From now on every run says it serves, then exits 3 at once.
    (p as unknown as { o: SupervisedOptions }).o.argv = serving(3);
    process.kill(p.pid!, 'SIGKILL');
    await until(() => p.state === 'gave-up');
    expect(p.restarts).toBe(3);
    expect(trouble.at(-1)).toMatch(/stand-in bridge exited \(code 3\): serving; berthd stopped restarting it: it exited 4 times in a row, each within 60 s of its start\. Restart the VM \(berth restart\)/);
    expect(p.pid).toBeUndefined();
  });

  it('stop() during the restart delay: no restart, nothing left running', async () => {
    const { p } = supervise({ argv: serving(), policy: { firstDelayMs: 500, maxDelayMs: 500, stableMs: 60_000, maxRestarts: 5 } });
    await p.start();
    const pid = p.pid!;
    process.kill(pid, 'SIGKILL');
    await until(() => p.state === 'restarting');
    await p.stop();
    await new Promise((r) => setTimeout(r, 700));
    expect([p.state, p.restarts, p.pid]).toEqual(['stopped', 0, undefined]);
  });

  it('stop() ends a running one by its pid (SIGTERM) and it is not restarted', async () => {
    const { p, trouble } = supervise({ argv: serving() });
    await p.start();
    const pid = p.pid!;
    await p.stop();
    expect(processAlive(pid)).toBe(false);
    await new Promise((r) => setTimeout(r, 400));
    expect([p.state, p.restarts, trouble]).toEqual(['stopped', 0, []]);
  });
});
