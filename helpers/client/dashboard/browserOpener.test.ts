// Owns: tests of the browser opener — the argv per platform, only dashboard URLs, a missing opener
// reported (not fatal), and a fake xdg-open on PATH getting the URL as one argument.
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openerCommand, openInBrowser } from './browserOpener.ts';

const url = `http://127.0.0.1:41234/#token=${'ab'.repeat(32)}`;
const dir = mkdtempSync(join(tmpdir(), 'berth-open-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('dashboard bridge: opening the browser', () => {
  it('dashboard bridge: each platform gets its opener with the URL as one argv entry', () => {
    expect(openerCommand(url, 'linux')).toEqual({ cmd: 'xdg-open', args: [url] });
    expect(openerCommand(url, 'darwin')).toEqual({ cmd: 'open', args: [url] });
    expect(openerCommand(url, 'win32')).toEqual({ cmd: 'cmd', args: ['/c', 'start', '""', url], windowsVerbatimArguments: true });
  });

  it('dashboard bridge: nothing but a dashboard URL reaches an opener (cmd.exe metacharacters, other hosts)', () => {
    for (const bad of [`${url}&calc`, `${url}"`, 'http://evil.example/#token=00', 'file:///etc/passwd', `http://127.0.0.1:1/#token=${'g'.repeat(64)}`]) {
      expect(() => openerCommand(bad, 'win32'), bad).toThrow(/not a dashboard URL/);
    }
  });

  it('dashboard bridge: a missing opener is reported with what to do, and does not throw', async () => {
    const problems: string[] = [];
    const ok = await openInBrowser(url, (m) => problems.push(m), 'linux', { PATH: join(dir, 'empty') });
    expect(ok).toBe(false);
    expect(problems).toEqual(['could not open a browser: `xdg-open` is not installed; open the URL above yourself']);
  });

  it('dashboard bridge: a fake xdg-open on PATH gets exactly the URL as its one argument', async () => {
    const record = join(dir, 'args.txt');
    const fake = join(dir, 'xdg-open');
    writeFileSync(fake, `#!/bin/sh\nprintf '%s\\n' "$#" "$@" > '${record}'\n`);
    chmodSync(fake, 0o755);
    const problems: string[] = [];
    expect(await openInBrowser(url, (m) => problems.push(m), 'linux', { PATH: dir })).toBe(true);
    await expect.poll(() => existsSync(record) && readFileSync(record, 'utf8')).toBe(`1\n${url}\n`);
    expect(problems).toEqual([]);
  });

  it('dashboard bridge: an opener that fails is reported', async () => {
    const failing = join(dir, 'fail');
    const fake = join(failing, 'xdg-open');
    rmSync(failing, { recursive: true, force: true });
    mkdirSync(failing);
    writeFileSync(fake, '#!/bin/sh\nexit 3\n');
    chmodSync(fake, 0o755);
    const problems: string[] = [];
    expect(await openInBrowser(url, (m) => problems.push(m), 'linux', { PATH: failing })).toBe(true);
    await expect.poll(() => problems).toEqual(['could not open a browser (`xdg-open` exited with 3); open the URL above yourself']);
  });
});
