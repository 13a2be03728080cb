// Owns: tests of logTail.ts — host log files (the end of a big file, CRLF, a cut first line, missing file),
// and guest logs over a scripted exec stream (the busybox tail argv, a missing file, the VM not running).
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Duplex } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { HttpError } from '../control/controlServer.ts';
import { encodeExecMessage, ExecMessageDecoder, HOST_EXEC_KINDS, type HostExecKind } from '../guest/execFrames.ts';
import { lastLines, logTail, tailHostFile } from './logTail.ts';

const dir = mkdtempSync(join(tmpdir(), 'berth-logtail-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A guest exec stream that answers the start request with the given output and exit code. */
class ScriptedExec extends Duplex {
  readonly decoder = new ExecMessageDecoder<HostExecKind>(HOST_EXEC_KINDS);
  argv: string[] = [];

  constructor(private readonly answer: { stdout?: string; stderr?: string; code: number }) {
    super({ allowHalfOpen: true });
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: () => void): void {
    for (const m of this.decoder.push(chunk)) {
      if (m.kind !== 'S') continue;
      this.argv = (JSON.parse(m.payload.toString('utf8')) as { argv: string[] }).argv;
      if (this.answer.stdout) this.push(encodeExecMessage('O', Buffer.from(this.answer.stdout)));
      if (this.answer.stderr) this.push(encodeExecMessage('e', Buffer.from(this.answer.stderr)));
      this.push(encodeExecMessage('X', Buffer.from(JSON.stringify({ code: this.answer.code, signal: null }))));
    }
    cb();
  }

  override _read(): void {}
}

const hostDeps = (over: Partial<Parameters<typeof logTail>[0]> = {}): Parameters<typeof logTail>[0] => ({
  berthdLog: join(dir, 'berthd.log'),
  consoleLog: join(dir, 'console.log'),
  vmRunning: () => true,
  openExec: () => {
    throw new Error('no exec in this test');
  },
  ...over,
});

describe('lastLines', () => {
  it('the last n lines, no empty line for the final newline, CRs dropped', () => {
    expect(lastLines('a\nb\r\nc\n', 2)).toEqual(['b', 'c']);
    expect(lastLines('a\nb', 5)).toEqual(['a', 'b']);
    expect(lastLines('', 5)).toEqual([]);
  });
});

describe('host logs', () => {
  it('berthd and console: the last lines and the path', async () => {
    writeFileSync(join(dir, 'berthd.log'), Array.from({ length: 50 }, (_, i) => `line ${i}\n`).join(''));
    writeFileSync(join(dir, 'console.log'), 'Linux version 6.1\r\nberth: init\r\n');
    expect(await logTail(hostDeps(), 'berthd', 3)).toEqual({ source: 'berthd', lines: ['line 47', 'line 48', 'line 49'], path: join(dir, 'berthd.log') });
    // The console's log needs no running VM.
    expect(await logTail(hostDeps({ vmRunning: () => false }), 'console', 10)).toEqual({ source: 'console', lines: ['Linux version 6.1', 'berth: init'], path: join(dir, 'console.log') });
  });

  it('reads only the end of a big file, and never returns its cut first line', () => {
    const big = join(dir, 'big.log');
    writeFileSync(big, '');
    for (let i = 0; i < 20_000; i++) appendFileSync(big, `${String(i).padStart(6, '0')} ${'z'.repeat(40)}\n`);
    const lines = tailHostFile(big, 1000);
    expect(lines).toHaveLength(1000);
    expect(lines[0]).toBe(`019000 ${'z'.repeat(40)}`);
    expect(lines[999]).toBe(`019999 ${'z'.repeat(40)}`);
    for (const l of tailHostFile(big, 5000)) expect(l).toMatch(/^\d{6} z{40}$/);
  });

  it('a log not written yet is 404 no-log, saying when it will be', async () => {
    const e = (await logTail(hostDeps({ consoleLog: join(dir, 'none.log') }), 'console', 5).catch((x: unknown) => x)) as HttpError;
    expect(e).toBeInstanceOf(HttpError);
    expect([e.status, e.body.code, e.body.message]).toEqual([404, 'no-log', `${join(dir, 'none.log')} does not exist yet`]);
  });
});

describe('guest logs', () => {
  it('docker: busybox tail -n N of /var/log/dockerd.log over a guest exec', async () => {
    const exec = new ScriptedExec({ stdout: 'time="x" level=info msg="API listen on /var/run/docker.sock"\nlast\n', code: 0 });
    const r = await logTail(hostDeps({ openExec: () => exec }), 'docker', 200);
    expect(exec.argv).toEqual(['/bin/busybox', 'tail', '-n', '200', '/var/log/dockerd.log']);
    expect(r).toEqual({ source: 'docker', lines: ['time="x" level=info msg="API listen on /var/run/docker.sock"', 'last'], path: '/var/log/dockerd.log' });
  });

  it('agent and containerd read their own files; a missing one is 404 with tail\'s words', async () => {
    const exec = new ScriptedExec({ stderr: "tail: can't open '/var/log/containerd.log': No such file or directory\n", code: 1 });
    const e = (await logTail(hostDeps({ openExec: () => exec }), 'containerd', 10).catch((x: unknown) => x)) as HttpError;
    expect(exec.argv.at(-1)).toBe('/var/log/containerd.log');
    expect([e.status, e.body.code]).toEqual([404, 'no-log']);
    expect(e.body.message).toBe("cannot read /var/log/containerd.log in the VM: tail: can't open '/var/log/containerd.log': No such file or directory");
    const agent = new ScriptedExec({ stdout: 'hello\n', code: 0 });
    expect((await logTail(hostDeps({ openExec: () => agent }), 'agent', 1)).path).toBe('/var/log/agent.log');
  });

  it('with the VM not running: 409 saying the log is in the VM and to start it', async () => {
    const e = (await logTail(hostDeps({ vmRunning: () => false }), 'docker', 10).catch((x: unknown) => x)) as HttpError;
    expect(e.status).toBe(409);
    expect(e.body).toEqual({ code: 'not-running', message: 'the docker log is inside the VM, which is not running', hint: 'start the VM (berth start, or Start in the app), then look again' });
  });
});
