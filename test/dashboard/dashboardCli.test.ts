// Owns: the CLI-level test of `berth dashboard`: a real berthd started for a private BERTH_HOME (no VM),
// the printed URL, a token-guarded call and a host terminal through the bridge, Ctrl-C ending it cleanly.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { berthBin, startBerthHarness, type Berth } from '../engine/engineHarness.ts';

const URL_LINE = /^Berth dashboard: (http:\/\/127\.0\.0\.1:(\d+)\/#token=([0-9a-f]{64}))$/m;

let b: Berth;
let child: ChildProcess | undefined;
let stdout = '';
let stderr = '';

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

beforeAll(() => {
  b = startBerthHarness('dash');
});
afterAll(async () => {
  if (child?.exitCode === null) child.kill('SIGKILL');
  await b.cleanup();
});

describe('berth dashboard (CLI, real berthd, no VM)', () => {
  it('serves the bridge on the printed URL, guards it with the token, pipes a host terminal to the real berthd, and ends on Ctrl-C leaving berthd to `berth quit`', async () => {
    const dist = join(b.home, 'dist');
    mkdirSync(dist);
    writeFileSync(join(dist, 'index.html'), '<!doctype html><title>Berth</title><p>cli test page</p>');
    child = spawn(process.execPath, [berthBin, 'dashboard', '--no-open', '--port', '0'], { env: { ...b.env, BERTH_RENDERER_DIST: dist }, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d) => (stdout += String(d)));
    child.stderr?.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child?.once('exit', (code, signal) => resolve({ code, signal })));

    await expect.poll(() => URL_LINE.test(stdout) || child?.exitCode !== null, { timeout: 60_000, interval: 200 }).toBe(true);
    const m = URL_LINE.exec(stdout);
    expect(m, `stdout: ${stdout}\nstderr: ${stderr}`).not.toBeNull();
    const [, url, port, token] = m as RegExpExecArray;
    expect(stdout).toContain('Press Ctrl-C to stop');
    const base = `http://127.0.0.1:${port}`;
    expect(url).toBe(`${base}/#token=${token}`);

    const berthdPid = b.berthdPid();
    expect(berthdPid && alive(berthdPid)).toBe(true);

    const ok = await fetch(`${base}/api/call/status`, { method: 'POST', headers: { 'x-berth-token': token as string, 'content-type': 'application/json' }, body: '{}' });
    expect(ok.status).toBe(200);
    const status = (await ok.json()) as { state: string; berthHome: string };
    expect(status.berthHome).toBe(b.home);
    expect(status.state).toBe('stopped');

    const refused = await fetch(`${base}/api/call/status`, { method: 'POST', body: '{}' });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ code: 'bad-token' });

    const page = await fetch(`${base}/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('cli test page');
    expect(page.headers.get('content-security-policy')).toContain(`connect-src 'self' ws://127.0.0.1:${port}`);

    // The terminal through the bridge to berthd's real /v1/terminal: a host shell needs no VM.
    const ws = new WebSocket(`ws://127.0.0.1:${port}/api/terminal?spec=${encodeURIComponent('{"kind":"host","cols":80,"rows":24}')}`, ['berth-terminal.v1', `berth-token.${token}`], { origin: base });
    let output = '';
    const messages: string[] = [];
    const wsClosed = new Promise<void>((resolve) => ws.once('close', () => resolve()));
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        messages.push(String(data));
        if (JSON.parse(String(data)).type === 'ready') ws.send(Buffer.from('echo dash-$((6*7))\r'));
      } else {
        output += String(data);
        if (output.includes('dash-42')) ws.send(Buffer.from('exit\r'));
      }
    });
    let guard: NodeJS.Timeout | undefined;
    await Promise.race([wsClosed, new Promise((_, reject) => (guard = setTimeout(() => reject(new Error(`the host terminal did not finish; output: ${output} messages: ${messages.join(' ')}`)), 60_000)))]);
    clearTimeout(guard);
    expect(output).toContain('dash-42');
    expect(messages.map((m) => JSON.parse(m).type)).toEqual(['ready', 'exit']);

    child.kill('SIGINT');
    expect(await exited).toEqual({ code: 0, signal: null });
    await expect(fetch(`${base}/`)).rejects.toThrow();

    // berthd outlives the dashboard (the CLI and Docker use it too) until `berth quit`.
    expect(berthdPid && alive(berthdPid)).toBe(true);
    const quit = await b.berth(['quit'], { timeoutMs: 60_000 });
    expect(quit.code, quit.stderr).toBe(0);
    await expect.poll(() => berthdPid !== undefined && alive(berthdPid), { timeout: 30_000, interval: 200 }).toBe(false);
  });
});
