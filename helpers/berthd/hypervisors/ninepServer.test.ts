// berth-ninep-server's argv (pure, hostile paths as single entries) and the clean-up of servers an
// earlier berthd recorded: only a live berth-ninep-server at the recorded address is ended.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitForExit } from '../host/processLiveness.ts';
import { ninepServerArgs, ninepServerPath, stopRecordedNinepServers } from './ninepServer.ts';

describe('ninepServerArgs', () => {
  it('passes hostile paths as one -flag=value entry each (never read as another flag)', () => {
    const root = "/Users/ann/-ro $(touch x) `id`; 'q' ü";
    expect(ninepServerArgs({ hostPath: root, listen: 'unix:/tmp/b-501/9p-share0.sock', readOnly: false, once: true })).toEqual([`-root=${root}`, '-listen=unix:/tmp/b-501/9p-share0.sock', '-once']);
    expect(ninepServerArgs({ hostPath: '/x', listen: 'tcp:127.0.0.1:0', readOnly: true })).toEqual(['-root=/x', '-listen=tcp:127.0.0.1:0', '-ro']);
    expect(ninepServerArgs({ hostPath: 'C:\\Users\\ann', listen: 'tcp:127.0.0.1:0', readOnly: false, once: true })).toEqual(['-root=C:\\Users\\ann', '-listen=tcp:127.0.0.1:0', '-once']);
  });

  it('refuses a relative folder and an unknown listen address', () => {
    expect(() => ninepServerArgs({ hostPath: 'rel/x', listen: 'unix:/s', readOnly: false })).toThrow(/not an absolute path/);
    for (const hostPath of ['C:rel', 'Users\\ann', '\\\\server\\share']) expect(() => ninepServerArgs({ hostPath, listen: 'tcp:127.0.0.1:0', readOnly: false })).toThrow(/not an absolute path/);
    expect(() => ninepServerArgs({ hostPath: '/x', listen: '/s', readOnly: false })).toThrow(/expected unix:/);
    expect(() => ninepServerArgs({ hostPath: '/x', listen: 'unix:rel.sock', readOnly: false })).toThrow(/expected unix:/);
  });

  it('is found through BERTH_NINEP_SERVER, else beside berthd (helperBinaries.ts)', () => {
    expect(ninepServerPath({ BERTH_NINEP_SERVER: '/opt/b/srv' })).toBe('/opt/b/srv');
    expect(ninepServerPath({})).toMatch(/\/bin\/(linux-x64\/)?berth-ninep-server$/);
  });
});

describe('stopRecordedNinepServers', () => {
  let dir: string;
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('ends a recorded live server, leaves a reused pid alone, and removes the record', async () => {
    dir = mkdtempSync(join(tmpdir(), 'ninep-rec-'));
    const server = spawn('sleep', ['60']);
    const stranger = spawn('sleep', ['60']);
    const sock = join(dir, '9p-share0.sock');
    writeFileSync(sock, '');
    const record = join(dir, 'ninep-servers.json');
    writeFileSync(record, JSON.stringify([{ pid: server.pid, listen: `unix:${sock}` }, { pid: stranger.pid, listen: 'unix:/other.sock' }, { pid: 'x' }]));
    const argvOf = (pid: number): string[] | undefined =>
      pid === server.pid ? ['/app/berth-ninep-server', '-root=/x', `-listen=unix:${sock}`, '-once'] : pid === stranger.pid ? ['/usr/bin/vim', 'unix:/other.sock'] : undefined;
    expect(stopRecordedNinepServers(record, argvOf)).toEqual([server.pid]);
    expect(await waitForExit(server.pid!, 5000)).toBe(true);
    expect(stranger.exitCode).toBeNull();
    expect(existsSync(record)).toBe(false);
    expect(existsSync(sock)).toBe(false);
    stranger.kill('SIGKILL');
    expect(stopRecordedNinepServers(record, argvOf)).toEqual([]);
  });
});
