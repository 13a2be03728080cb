// ChildExitWatch: the exit of a real child process, with its stderr's end from the pipe or its log file.
import { spawn } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ChildExitWatch } from './childExit.ts';

const dir = mkdtempSync(join(tmpdir(), 'childexit-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('ChildExitWatch', () => {
  it('runs until the exit event, then holds the code and the last 4 KiB of the piped stderr', async () => {
    const child = spawn(process.execPath, ['-e', `process.stderr.write('x'.repeat(5000) + ' the end\\n'); process.exit(3)`], { stdio: ['ignore', 'ignore', 'pipe'] });
    const w = new ChildExitWatch(child, undefined);
    expect(w.running).toBe(true);
    const exit = await w.exited;
    expect(w.running).toBe(false);
    expect(w.exit).toBe(exit);
    expect(exit.code).toBe(3);
    expect(exit.signal).toBeNull();
    expect(exit.stderr.endsWith('x the end')).toBe(true);
    expect(exit.stderr.length).toBeLessThanOrEqual(4096);
  });

  it('takes the stderr from the log file a child writes it to, and sees a child that exited before it watched', async () => {
    const log = join(dir, 'child.log');
    const fd = openSync(log, 'w');
    const child = spawn(process.execPath, ['-e', `process.stderr.write('logged reason\\n'); process.kill(process.pid, 'SIGTERM')`], { stdio: ['ignore', 'ignore', fd] });
    closeSync(fd);
    await new Promise((r) => child.once('exit', r));
    const exit = await new ChildExitWatch(child, log).exited;
    expect(exit).toEqual({ code: null, signal: 'SIGTERM', stderr: 'logged reason' });
  });
});
