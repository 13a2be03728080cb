// Owns: tests of the terminal's xterm.js options (T-40) — every window report and manipulation off, OSC 8
// links only http(s) and only through the callback, plain-text link finding — and the status wording.
import type { IBuffer, IBufferRange, ILink } from '@xterm/xterm';
import { describe, expect, it } from 'vitest';
import { buildTerminalOptions, findWebLinks, hyperlinkHandler, isWebLink, NO_WINDOW_OPTIONS, webLinkProvider } from './terminalOptions.ts';
import { sentence, statusAfter, statusAfterClose } from './terminalStatus.ts';

const range: IBufferRange = { start: { x: 1, y: 1 }, end: { x: 10, y: 1 } };
const click = {} as MouseEvent;

describe('buildTerminalOptions (T-40)', () => {
  it('turns every window option off, the title reports included', () => {
    const o = buildTerminalOptions({ look: 'dark', openLink: () => undefined });
    const windowOptions = o.windowOptions ?? {};
    expect(Object.keys(windowOptions).length).toBeGreaterThanOrEqual(22);
    expect(Object.values(windowOptions).every((v) => v === false)).toBe(true);
    expect(windowOptions).toMatchObject({ getWinTitle: false, getIconTitle: false, pushTitle: false, popTitle: false, getWinSizePixels: false, getCellSizePixels: false, getWinSizeChars: false });
    expect(o.allowProposedApi).toBe(false);
  });

  it('gives each look its own theme and a readable default font size', () => {
    const dark = buildTerminalOptions({ look: 'dark', openLink: () => undefined });
    const light = buildTerminalOptions({ look: 'light', openLink: () => undefined });
    expect(dark.theme?.background).not.toBe(light.theme?.background);
    expect(dark.fontSize).toBe(13);
    expect(buildTerminalOptions({ look: 'dark', openLink: () => undefined, fontSize: 18 }).fontSize).toBe(18);
  });

  it('hands a clicked OSC 8 http(s) link to openLink, and nothing else', () => {
    const opened: string[] = [];
    const o = buildTerminalOptions({ look: 'light', openLink: (u) => opened.push(u) });
    const handler = o.linkHandler;
    expect(handler?.allowNonHttpProtocols).toBe(false);
    for (const bad of ['file:///etc/passwd', 'javascript:alert(1)', 'data:text/html,x', 'vscode://x', 'ftp://h/', 'not a url', '//evil.example/'])
      handler?.activate(click, bad, range);
    expect(opened).toEqual([]);
    handler?.activate(click, 'https://example.com/a?b=c', range);
    handler?.activate(click, 'http://localhost:8080/', range);
    expect(opened).toEqual(['https://example.com/a?b=c', 'http://localhost:8080/']);
  });

  it('opens nothing until a link is activated (hover does not open)', () => {
    const opened: string[] = [];
    const handler = hyperlinkHandler((u) => opened.push(u));
    handler.hover?.(click, 'https://example.com/', range);
    expect(opened).toEqual([]);
  });

  it('isWebLink takes http and https only', () => {
    expect(isWebLink('https://a.example')).toBe(true);
    expect(isWebLink('HTTP://A.EXAMPLE')).toBe(true);
    expect(isWebLink('file:/x')).toBe(false);
    expect(isWebLink('javascript:x')).toBe(false);
  });

  it('the constant of window options lists them all as false', () => {
    expect(Object.values(NO_WINDOW_OPTIONS).every((v) => v === false)).toBe(true);
  });
});

describe('findWebLinks', () => {
  it('finds http(s) links with their columns, leaving trailing punctuation out', () => {
    const line = 'see http://localhost:8080/x, or (https://example.com/a?b=1). ok';
    expect(findWebLinks(line)).toEqual([
      { url: 'http://localhost:8080/x', start: 4, end: 27 },
      { url: 'https://example.com/a?b=1', start: 33, end: 58 },
    ]);
    expect(line.slice(4, 27)).toBe('http://localhost:8080/x');
  });

  it('ignores other schemes and bare prefixes', () => {
    expect(findWebLinks('file:///etc/passwd javascript:alert(1) https:// ftp://x')).toEqual([]);
  });

  it('stops a link at quotes, angle brackets and backticks', () => {
    expect(findWebLinks('<a href="https://a.example/x">`https://b.example`</a>').map((l) => l.url)).toEqual(['https://a.example/x', 'https://b.example']);
  });
});

describe('webLinkProvider', () => {
  /** A buffer of plain lines: only what the provider reads (getLine → translateToString). */
  const buffer = (lines: string[]): { buffer: { active: IBuffer } } => ({
    buffer: { active: { getLine: (y: number) => (lines[y] === undefined ? undefined : { translateToString: () => lines[y] }) } as unknown as IBuffer },
  });
  const provide = (lines: string[], y: number, open: (u: string) => void): ILink[] | undefined => {
    let got: ILink[] | undefined;
    webLinkProvider(buffer(lines), open).provideLinks(y, (links) => (got = links));
    return got;
  };

  it('gives each http(s) link of the line its 1-based cell range, and opens it only when activated', () => {
    const opened: string[] = [];
    const links = provide(['$ curl', 'open http://localhost:8080/ now'], 2, (u) => opened.push(u));
    expect(links?.map((l) => [l.text, l.range])).toEqual([['http://localhost:8080/', { start: { x: 6, y: 2 }, end: { x: 27, y: 2 } }]]);
    expect(opened).toEqual([]);
    links?.[0]?.activate(click, 'http://localhost:8080/');
    expect(opened).toEqual(['http://localhost:8080/']);
  });

  it('a line without links gives none', () => {
    expect(provide(['file:///etc/passwd and javascript:alert(1)'], 1, () => undefined)).toBeUndefined();
  });
});

describe('terminal status wording', () => {
  it('ready: running with the title', () => {
    expect(statusAfter({ type: 'ready', title: 'VM shell' })).toEqual({ kind: 'running', title: 'VM shell' });
  });

  it('exit: the code or the signal in plain words, and what to do', () => {
    expect(statusAfter({ type: 'exit', code: 0 })).toMatchObject({ kind: 'ended', tone: 'info', detail: 'The shell exited normally.', action: expect.stringContaining('Open a new terminal') });
    expect(statusAfter({ type: 'exit', code: 7 })).toMatchObject({ detail: 'The process exited with code 7.' });
    expect(statusAfter({ type: 'exit', code: 137, signal: 'SIGKILL' })).toMatchObject({ detail: 'The process stopped because it was killed (exit code 137).' });
    expect(statusAfter({ type: 'exit', code: 159, signal: 'SIGSYS' })).toMatchObject({ detail: expect.stringContaining('it got SIGSYS') });
  });

  it('error: berthd\'s message and hint as sentences', () => {
    expect(statusAfter({ type: 'error', code: 'vm-not-running', message: 'the VM is not running', hint: 'start the VM, then open the terminal again' })).toEqual({
      kind: 'ended',
      tone: 'error',
      title: 'The terminal stopped',
      detail: 'The VM is not running.',
      action: 'Start the VM, then open the terminal again.',
    });
  });

  it('a close with no end said is a lost connection; after an end it changes nothing', () => {
    expect(statusAfterClose({ kind: 'running', title: 'x' })).toMatchObject({ kind: 'ended', tone: 'error', title: 'The terminal lost its connection' });
    const ended = statusAfter({ type: 'exit', code: 0 });
    expect(statusAfterClose(ended)).toBe(ended);
  });

  it('sentence keeps existing punctuation', () => {
    expect(sentence('done!')).toBe('Done!');
    expect(sentence('')).toBe('');
  });
});
