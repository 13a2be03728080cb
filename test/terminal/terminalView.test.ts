// TerminalView in Debian's Chromium with a fake Transport (no berthd): the channel opened at the fitted
// size, output drawn, keys and Ctrl-C sent, resize on fit, the end said in words, a refused link said,
// and the channel closed on unmount. The real transports are covered by their own suites.
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from '../e2e/browserHarness.ts';
import { repoRoot } from '../image/imageVm.ts';

/** The page: React rendering TerminalView with a Transport whose terminal is a recorder the test drives. */
const ENTRY = `
import { createElement } from 'react';
import { createRoot } from 'react-dom/client';
import { TerminalView } from './renderer/src/terminal/TerminalView.tsx';
const log = { specs: [], writes: [], resizes: [], closed: 0, external: [] };
let server;
const transport = {
  kind: 'browser',
  call: async () => { throw new Error('not used here'); },
  events: () => () => undefined,
  stream: () => () => undefined,
  openExternal: async (url) => { log.external.push(url); throw new Error('Berth did not open ' + url + ': only published ports'); },
  openTerminal: (spec) => {
    log.specs.push(spec);
    const on = { data: [], message: [], close: [] };
    server = {
      data: (s) => on.data.forEach((l) => l(new TextEncoder().encode(s))),
      message: (m) => on.message.forEach((l) => l(m)),
      close: () => on.close.forEach((l) => l()),
    };
    return {
      write: (d) => log.writes.push(typeof d === 'string' ? d : 'bytes:' + Array.from(d).join(',')),
      resize: (c, r) => log.resizes.push([c, r]),
      onData: (l) => on.data.push(l),
      onMessage: (l) => on.message.push(l),
      onClose: (l) => on.close.push(l),
      close: () => { log.closed++; },
    };
  },
};
const root = createRoot(document.getElementById('root'));
window.log = log;
window.server = () => server;
window.show = (spec) => root.render(createElement(TerminalView, { transport, spec, look: 'dark' }));
window.hide = () => root.render(null);
window.cell = () => {
  const r = document.querySelector('.xterm-screen').getBoundingClientRect();
  const rows = document.querySelectorAll('.xterm-rows > div').length;
  return { left: r.left, top: r.top, h: r.height / rows };
};
`;

type Log = { specs: { kind: string; cols: number; rows: number }[]; writes: string[]; resizes: [number, number][]; closed: number; external: string[] };
type Win = { log: Log; server: () => { data: (s: string) => void; message: (m: unknown) => void; close: () => void }; show: (s: unknown) => void; hide: () => void };

let session: BrowserSession;

beforeAll(async () => {
  const out = await build({
    stdin: { contents: ENTRY, resolveDir: repoRoot, loader: 'tsx' },
    bundle: true,
    write: false,
    outdir: join(repoRoot, '.tsbuild', 'terminal-view-test'),
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"development"' },
    logLevel: 'silent',
  });
  const js = out.outputFiles.find((f) => f.path.endsWith('.js'))?.text ?? '';
  const css = out.outputFiles.find((f) => f.path.endsWith('.css'))?.text ?? '';
  session = await openBrowser();
  await session.page.setContent(`<!doctype html><html><head><style>${css}</style></head><body><div id="root" style="width:800px;height:400px"></div></body></html>`);
  await session.page.addScriptTag({ content: js });
  await session.page.waitForFunction(() => 'show' in globalThis);
}, 120_000);

afterAll(async () => {
  await session?.close();
});

const log = (): Promise<Log> => session.page.evaluate(() => (globalThis as unknown as Win).log);
const serverSays = (kind: 'data' | 'message' | 'close', arg?: unknown): Promise<void> =>
  session.page.evaluate(([k, a]) => {
    const s = (globalThis as unknown as Win).server();
    if (k === 'data') s.data(a as string);
    else if (k === 'message') s.message(a);
    else s.close();
  }, [kind, arg] as const);

describe('TerminalView in Chromium (fake transport)', () => {
  it('opens the channel at the fitted size, draws output, sends keys and Ctrl-C, and resizes with its box', async () => {
    const page = session.page;
    await page.evaluate(() => (globalThis as unknown as Win).show({ kind: 'vm' }));
    await page.waitForFunction(() => (globalThis as unknown as Win).log.specs.length === 1);
    await expect.poll(() => page.locator('.terminal-status').textContent()).toContain('Opening the terminal');
    const spec = (await log()).specs[0];
    expect(spec?.kind).toBe('vm');
    // 800×400 px fits more than the 80×24 default.
    expect(spec?.cols).toBeGreaterThan(80);
    expect(spec?.rows).toBeGreaterThan(10);
    await serverSays('message', { type: 'ready', title: 'VM shell' });
    await serverSays('data', 'hello from the fake VM\r\n$ ');
    await expect.poll(() => page.locator('.xterm-rows').textContent()).toContain('hello from the fake VM');
    expect(await page.locator('.terminal-status').count()).toBe(0);
    await page.locator('.terminal-screen').click();
    await page.keyboard.type('ls');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Control+C');
    await expect.poll(async () => (await log()).writes.join('')).toBe('ls\r\x03');
    await page.locator('#root').evaluate((el) => {
      (el as unknown as { style: { width: string } }).style.width = '500px';
    });
    // The narrower box is fitted and the new width sent (the rows grew when the "Opening" line went away).
    await expect.poll(async () => (await log()).resizes.at(-1)?.[0] ?? Infinity).toBeLessThan(spec?.cols ?? 0);
    expect((await log()).resizes.at(-1)?.[1]).toBeGreaterThanOrEqual(spec?.rows ?? 0);
  });

  it('says a refused link in words, after a click on an OSC 8 link', async () => {
    const page = session.page;
    await serverSays('data', '\x1bc\x1b]8;;https://refuse.example/x\x1b\\LINK\x1b]8;;\x1b\\\r\n');
    const c = await page.evaluate(() => (globalThis as unknown as { cell: () => { left: number; top: number; h: number } }).cell());
    await page.mouse.move(c.left + 2, c.top + c.h / 2);
    await page.mouse.move(c.left + 12, c.top + c.h / 2);
    await page.waitForTimeout(150);
    await page.mouse.down();
    await page.mouse.up();
    await expect.poll(async () => (await log()).external).toEqual(['https://refuse.example/x']);
    await expect.poll(() => page.locator('[role=alert]').textContent()).toContain('Berth did not open https://refuse.example/x');
  });

  it('shows the exit in plain words with what to do, stops input, and closes the channel on unmount', async () => {
    const page = session.page;
    await serverSays('message', { type: 'exit', code: 7 });
    await serverSays('close');
    await expect.poll(() => page.locator('.terminal-status').first().textContent()).toContain('The process exited with code 7.');
    expect(await page.locator('.terminal-status').first().textContent()).toContain('Open a new terminal');
    const before = (await log()).writes.length;
    await page.locator('.terminal-screen').click();
    await page.keyboard.type('x');
    expect((await log()).writes.length).toBe(before);
    await page.evaluate(() => (globalThis as unknown as Win).hide());
    await expect.poll(async () => (await log()).closed).toBe(1);
  });

  it('an error from berthd is shown with its hint, as an alert', async () => {
    const page = session.page;
    await page.evaluate(() => (globalThis as unknown as Win).show({ kind: 'container', id: 'db' }));
    await page.waitForFunction(() => (globalThis as unknown as Win).log.specs.length === 2);
    await serverSays('message', { type: 'error', code: 'no-such-container', message: 'there is no container "db"', hint: 'check the name with `docker ps -a`' });
    await serverSays('close');
    const alert = page.locator('.terminal-status[role=alert]');
    await expect.poll(() => alert.textContent()).toContain('There is no container "db".');
    expect(await alert.textContent()).toContain('Check the name with `docker ps -a`.');
  });
});
