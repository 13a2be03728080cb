// T-40 in a real browser: xterm.js 6 with Berth's options (renderer/src/terminal/terminalOptions.ts),
// bundled with esbuild and run in Debian's Chromium, fed hostile escape sequences and clicked. No VM.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from '../e2e/browserHarness.ts';
import { repoRoot } from '../image/imageVm.ts';

/** The page's side: a terminal with Berth's options, recording what it would send as input and open. */
const ENTRY = `
import { Terminal } from '@xterm/xterm';
import { buildTerminalOptions, webLinkProvider } from './renderer/src/terminal/terminalOptions.ts';
const probe = { input: [], opened: [], clipboard: [], popups: 0 };
const record = (what) => (...args) => { probe.clipboard.push(what + ':' + String(args[0])); return Promise.resolve(); };
Object.defineProperty(navigator, 'clipboard', { value: { writeText: record('writeText'), write: record('write') } });
const execCommand = document.execCommand.bind(document);
document.execCommand = (c, ...rest) => { if (c === 'copy') probe.clipboard.push('execCommand:copy'); return execCommand(c, ...rest); };
window.open = () => { probe.popups++; return null; };
window.confirm = () => { probe.popups++; return true; };
const open = (url) => probe.opened.push(url);
const term = new Terminal({ ...buildTerminalOptions({ look: 'dark', openLink: open }), cols: 80, rows: 12 });
term.open(document.getElementById('t'));
term.registerLinkProvider(webLinkProvider(term, open));
term.onData((d) => probe.input.push(d));
term.onBinary((d) => probe.input.push(d));
window.probe = probe;
window.feed = (s) => new Promise((r) => term.write(s, r));
window.cell = () => {
  const r = document.querySelector('.xterm-screen').getBoundingClientRect();
  return { left: r.left, top: r.top, w: r.width / term.cols, h: r.height / term.rows };
};
`;

let session: BrowserSession;

beforeAll(async () => {
  const bundle = await build({ stdin: { contents: ENTRY, resolveDir: repoRoot, loader: 'ts' }, bundle: true, write: false, format: 'iife', platform: 'browser', target: 'es2022', logLevel: 'silent' });
  const js = bundle.outputFiles[0]?.text ?? '';
  const css = readFileSync(join(repoRoot, 'node_modules', '@xterm', 'xterm', 'css', 'xterm.css'), 'utf8');
  session = await openBrowser();
  await session.page.setContent(`<!doctype html><html><head><style>${css}</style></head><body><div id="t" style="width:900px;height:300px"></div></body></html>`);
  await session.page.addScriptTag({ content: js });
  await session.page.waitForFunction(() => 'probe' in globalThis);
}, 120_000);

afterAll(async () => {
  await session?.close();
});

type Probe = { input: string[]; opened: string[]; clipboard: string[]; popups: number };
const probe = (): Promise<Probe> => session.page.evaluate(() => (globalThis as unknown as { probe: Probe }).probe);
const feed = (s: string): Promise<void> => session.page.evaluate((x) => (globalThis as unknown as { feed: (s: string) => Promise<void> }).feed(x), s);

/** Hover, then click the cell at (col, row), 0-based, as a user would. */
async function clickCell(col: number, row: number): Promise<void> {
  const c = await session.page.evaluate(() => (globalThis as unknown as { cell: () => { left: number; top: number; w: number; h: number } }).cell());
  const x = c.left + (col + 0.5) * c.w;
  const y = c.top + (row + 0.5) * c.h;
  await session.page.mouse.move(x - c.w, y);
  await session.page.mouse.move(x, y);
  await session.page.waitForTimeout(150); // the link providers answer on hover
  await session.page.mouse.down();
  await session.page.mouse.up();
  await session.page.waitForTimeout(50);
}

describe('T-40: escape sequences in Berth\'s terminal options (xterm.js in Chromium)', () => {
  it('T-40: no title, DECRQSS payload or window report comes back as input; a device attribute query still answers', async () => {
    await feed('\x1b]2;evil-title\x07\x1b]1;evil-icon\x07\x1b[21t\x1b[20t'); // set title, then ask for it back
    await feed('\x1bP$qevil-decrqss;\r\x1b\\'); // CVE-2019-0542: DECRQSS echoing its request
    await feed('\x1b[22;0t\x1b[23;0t\x1b[11t\x1b[13t\x1b[14t\x1b[14;2t\x1b[15t\x1b[16t\x1b[18t\x1b[19t'); // window reports
    await feed('\x1b[c'); // DA1: must still answer, so the capture below is known to work
    const input = (await probe()).input.join('');
    expect(input).toContain('\x1b[?');
    expect(input).not.toMatch(/evil/);
    const ESC = String.fromCharCode(0x1b);
    expect(input.split(ESC).filter((seq) => /^\[\d*;?\d+;\d+t/.test(seq))).toEqual([]); // CSI … t window reports
    expect(input.split(ESC).filter((seq) => /^\][lL]/.test(seq))).toEqual([]); // OSC l / L title reports
    // The only DECRQSS answer allowed is "not recognised" or a known setting, never the request's text.
    expect(input).not.toContain('decrqss');
  });

  it('T-40: OSC 52 cannot write the clipboard', async () => {
    await feed('\x1b]52;c;ZXZpbC1jbGlwYm9hcmQ=\x07\x1b]52;p;ZXZpbA==\x1b\\');
    expect((await probe()).clipboard).toEqual([]);
  });

  it('T-40: clicking an OSC 8 file: link opens nothing; an https one and a plain-text http one go to openLink only on the click', async () => {
    await feed('\x1bc'); // reset: links start at the top-left
    await feed('\x1b]8;;file:///etc/passwd\x1b\\FILE-LINK\x1b]8;;\x1b\\\r\n');
    await feed('\x1b]8;;https://example.com/ok\x1b\\WEB-LINK\x1b]8;;\x1b\\\r\n');
    await feed('see http://localhost:8080/app here\r\n');
    await session.page.mouse.move(850, 290); // nowhere near a link
    expect((await probe()).opened).toEqual([]);
    await clickCell(2, 0);
    expect((await probe()).opened).toEqual([]);
    await clickCell(2, 1);
    expect((await probe()).opened).toEqual(['https://example.com/ok']);
    await clickCell(10, 2);
    const after = await probe();
    expect(after.opened).toEqual(['https://example.com/ok', 'http://localhost:8080/app']);
    expect(after.popups).toBe(0);
  });
});
