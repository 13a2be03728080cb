// Owns: tests of consoleFollower.ts: a temp console log written in pieces (partial lines, CRLF,
// split UTF-8), `lines`, `waitFor` for past and future lines with `from`, timeouts and `fail()`.

import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { ConsoleFollower, printable } from './consoleFollower.ts';

let dir: string;
let n = 0;
const followers: ConsoleFollower[] = [];
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'berth-console-'));
});
afterEach(() => {
  for (const f of followers.splice(0)) f.stop();
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A follower on a fresh log path (not created yet), polling every 10 ms. */
function follow(pollMs = 10): { f: ConsoleFollower; log: string; write: (s: string | Buffer) => void } {
  const log = join(dir, `console-${n++}.log`);
  const f = new ConsoleFollower(log, pollMs);
  followers.push(f);
  return { f, log, write: (s) => appendFileSync(log, s) };
}

const settle = async <T>(p: Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: Error }> =>
  p.then(
    (value) => ({ ok: true as const, value }),
    (error: Error) => ({ ok: false as const, error }),
  );

describe('ConsoleFollower lines', () => {
  it('has no lines while the log does not exist', () => {
    const { f } = follow();
    f.poll();
    expect(f.lines).toEqual([]);
    expect(f.tail()).toBe('');
  });

  it('joins partial lines, drops CRs, keeps the unfinished tail for later', () => {
    const { f, write } = follow(60_000);
    write('SeaBIOS (version');
    f.poll();
    expect(f.lines).toEqual([]);
    write(' 1.16)\r\nberth: in');
    f.poll();
    expect(f.lines).toEqual(['SeaBIOS (version 1.16)']);
    write('it (uptime 0.5)\n\n\r\nmid\rline\r\nlast');
    f.poll();
    expect(f.lines).toEqual(['SeaBIOS (version 1.16)', 'berth: init (uptime 0.5)', '', '', 'midline']); // control characters are dropped
    write('\n');
    f.poll();
    expect(f.lines.at(-1)).toBe('last');
    expect(f.lines).toHaveLength(6);
  });

  it('decodes a UTF-8 character split across two writes', () => {
    const { f, write } = follow(60_000);
    const bytes = Buffer.from('berth: ✓ ready é\n', 'utf8');
    const cut = bytes.indexOf(Buffer.from('✓')) + 1;
    write(bytes.subarray(0, cut));
    f.poll();
    write(bytes.subarray(cut));
    f.poll();
    expect(f.lines).toEqual(['berth: ✓ ready é']);
  });

  it('reads more than one 64 KiB buffer at a time', () => {
    const { f, write } = follow(60_000);
    const many = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'x'.repeat(20)}`);
    write(`${many.join('\n')}\n`);
    f.poll();
    expect(f.lines).toEqual(many);
  });

  it('calls onLine listeners for each line until unsubscribed', () => {
    const { f, write } = follow(60_000);
    const seen: string[] = [];
    const off = f.onLine((l) => seen.push(l));
    write('a\nb\n');
    f.poll();
    off();
    write('c\n');
    f.poll();
    expect(seen).toEqual(['a', 'b']);
    expect(f.lines).toEqual(['a', 'b', 'c']);
  });

  it('tail answers the last n lines and reads what is new', () => {
    const { f, write } = follow(60_000);
    write(`${Array.from({ length: 20 }, (_, i) => `l${i}`).join('\n')}\n`);
    expect(f.tail(3)).toBe('l17\nl18\nl19');
    expect(f.tail().split('\n')).toHaveLength(15);
  });

  it('polls by itself on its interval', async () => {
    const { f, write } = follow(5);
    write('hello\n');
    // Nothing here calls poll(): only the follower's own interval can pick the line up.
    await vi.waitFor(() => expect(f.lines).toEqual(['hello']), { timeout: 5000, interval: 5 });
  });
});

describe('ConsoleFollower polling at idle', () => {
  afterEach(() => vi.useRealTimers());

  it('a quiet log is read once a second, not every 50 ms; a wait brings the fast interval back', async () => {
    vi.useFakeTimers();
    const log = join(dir, `console-${n++}.log`);
    const f = new ConsoleFollower(log, 50, 1000);
    followers.push(f);
    writeFileSync(log, 'boot\n');
    await vi.advanceTimersByTimeAsync(100);
    expect(f.lines).toEqual(['boot']);
    await vi.advanceTimersByTimeAsync(5000); // quiet for more than 3 s: idle interval
    appendFileSync(log, 'late\n');
    await vi.advanceTimersByTimeAsync(300);
    expect(f.lines, 'not read again within 300 ms at idle').toEqual(['boot']);
    await vi.advanceTimersByTimeAsync(1000);
    expect(f.lines).toEqual(['boot', 'late']);
    await vi.advanceTimersByTimeAsync(5000);
    const p = f.waitFor(/^marker/, 60_000);
    appendFileSync(log, 'marker 1\n');
    await vi.advanceTimersByTimeAsync(60);
    await expect(p).resolves.toEqual(expect.arrayContaining(['marker']));
  });
});

describe('ConsoleFollower.waitFor', () => {
  it('resolves at once for a line already written, with the match groups', async () => {
    const { f, write } = follow();
    write('berth: init\nberth: docker ready version=27.1.2 (uptime 3.1)\n');
    const m = await f.waitFor(/^berth: docker ready version=(\S+)/, 1000);
    expect(m[1]).toBe('27.1.2');
  });

  it('resolves for a line still to come, even when it arrives in pieces', async () => {
    const { f, write } = follow();
    write('berth: init\n');
    const p = f.waitFor(/^berth: disk ready (\/dev\/\w+)/, 5000);
    setTimeout(() => write('berth: disk re'), 20);
    setTimeout(() => write('ady /dev/vda\r\n'), 50);
    const m = await p;
    expect(m[1]).toBe('/dev/vda');
  });

  it('resolves several waiters on the same line', async () => {
    const { f, write } = follow();
    const a = f.waitFor(/ready/, 5000);
    const b = f.waitFor(/^berth:/, 5000);
    setTimeout(() => write('berth: ready\n'), 20);
    expect((await a)[0]).toBe('ready');
    expect((await b)[0]).toBe('berth:');
  });

  it('from: skips earlier lines and waits for a later one', async () => {
    const { f, write } = follow();
    write('berth: disk ready 1\nother\n');
    f.poll();
    const from = f.lines.length;
    let resolved = false;
    const p = f.waitFor(/^berth: disk ready (\d)/, 5000, from).then((m) => {
      resolved = true;
      return m;
    });
    await new Promise((r) => setTimeout(r, 40));
    expect(resolved).toBe(false);
    write('berth: disk ready 2\n');
    expect((await p)[1]).toBe('2');
  });

  it('from: still finds a matching line at or after `from` that is already there', async () => {
    const { f, write } = follow();
    write('x 1\nx 2\nx 3\n');
    expect((await f.waitFor(/^x (\d)/, 1000, 1))[1]).toBe('2');
    expect((await f.waitFor(/^x (\d)/, 1000, 2))[1]).toBe('3');
  });

  it('from: a line that arrives before `from` does not count', async () => {
    const { f, write } = follow();
    write('a\n');
    f.poll();
    const p = settle(f.waitFor(/^match/, 5000, 3));
    write('match 1\n');
    f.poll();
    write('b\nmatch 3\n');
    const r = await p;
    expect(r.ok && r.value[0]).toBe('match');
    expect(f.lines).toEqual(['a', 'match 1', 'b', 'match 3']);
    expect(r.ok && r.value.input).toBe('match 3');
  });

  it('times out with the pattern and the last lines in the error', async () => {
    const { f, write } = follow();
    write(`${Array.from({ length: 30 }, (_, i) => `boot line ${i}`).join('\n')}\n`);
    const t0 = Date.now();
    const r = await settle(f.waitFor(/^never$/, 80));
    expect(Date.now() - t0).toBeGreaterThanOrEqual(70);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.error.message).toMatch(/no line matching \/\^never\$\/ within/);
    expect(r.error.message).toContain('its last lines:\nboot line 15\n');
    expect(r.error.message.endsWith('boot line 29')).toBe(true);
    expect(r.error.message).not.toContain('boot line 14\n');
  });

  it('a line arriving after a timeout does not resurrect the waiter', async () => {
    const { f, write } = follow();
    const r = await settle(f.waitFor(/late/, 30));
    expect(r.ok).toBe(false);
    write('late\n');
    f.poll();
    expect(f.lines).toEqual(['late']);
  });
});

describe('ConsoleFollower.fail', () => {
  it('rejects pending waits with the reason and the tail, and later waits at once', async () => {
    const { f, write } = follow();
    write('berth: init\nKernel panic - not syncing\n');
    const pending = settle(f.waitFor(/docker ready/, 60_000));
    const other = settle(f.waitFor(/selftest/, 60_000));
    f.fail('QEMU exited (code 1)');
    for (const r of [await pending, await other]) {
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error.message).toBe("QEMU exited (code 1); the VM console's last lines:\nberth: init\nKernel panic - not syncing");
    }
    const t0 = Date.now();
    const later = await settle(f.waitFor(/docker ready/, 60_000));
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(later.ok).toBe(false);
    if (!later.ok) expect(later.error.message).toMatch(/^QEMU exited \(code 1\)/);
  });

  it('still resolves a wait for a line that was printed before the failure', async () => {
    const { f, write } = follow();
    write('berth: docker ready\n');
    f.fail('QEMU exited (SIGKILL)');
    expect((await f.waitFor(/docker ready/, 1000))[0]).toBe('docker ready');
  });

  it('includes lines written just before the failure that were not polled yet', async () => {
    const { f, write } = follow(60_000);
    const p = settle(f.waitFor(/never/, 60_000));
    write('last words\n');
    f.fail('gone');
    const r = await p;
    expect(!r.ok && r.error.message).toBe("gone; the VM console's last lines:\nlast words");
  });

  it('stop() reads what is left and stops polling', async () => {
    const { f, write, log } = follow(5);
    writeFileSync(log, 'one\n');
    f.stop();
    expect(f.lines).toEqual(['one']);
    write('two\n');
    await new Promise((r) => setTimeout(r, 40));
    expect(f.lines).toEqual(['one']);
  });
});

describe('printable console lines', () => {
  it('drops the escape sequences SeaBIOS prints before the first marker, and control characters', () => {
    expect(printable('\x1bc\x1b[?7l\x1b[2Jberth: init (uptime 4.50s)\r')).toBe('berth: init (uptime 4.50s)');
    expect(printable('\x1b]0;title\x07a\tb\x00c')).toBe('a\tbc');
    expect(printable('plain')).toBe('plain');
  });
});

describe('terminal resets split lines', () => {
  it('a marker printed right after the firmware resets the screen is a line of its own', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'cf-reset-'));
    const file = join(dir, 'console.log');
    writeFileSync(file, 'Booting from ROM..\x1bc\x1b[?7l\x1b[2Jberth: init (uptime 4.60s)\r\n');
    const f = new ConsoleFollower(file);
    const m = await f.waitFor(/^berth: init/, 1000);
    expect(m.input).toBe('berth: init (uptime 4.60s)');
    expect(f.lines).toEqual(['Booting from ROM..', 'berth: init (uptime 4.60s)']);
    f.stop();
    rmSync(dir, { recursive: true, force: true });
  });
});
