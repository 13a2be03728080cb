// Owns: the xterm.js options of Berth's terminal as pure builders (T-40): links only http(s), opened only
// through a callback after a click; every window report and manipulation off; light and dark themes.
import type { IBuffer, ILinkHandler, ILinkProvider, ITerminalInitOnlyOptions, ITerminalOptions, ITheme, IWindowOptions } from '@xterm/xterm';

export type TerminalLook = 'light' | 'dark';

/**
 * Every window manipulation and report of CSI t, off (xterm.js defaults to off; said here so an upgrade
 * cannot turn one on): a program in the terminal must not read the title back as input, nor move the window.
 */
export const NO_WINDOW_OPTIONS: Required<IWindowOptions> = {
  restoreWin: false,
  minimizeWin: false,
  setWinPosition: false,
  setWinSizePixels: false,
  raiseWin: false,
  lowerWin: false,
  refreshWin: false,
  setWinSizeChars: false,
  maximizeWin: false,
  fullscreenWin: false,
  getWinState: false,
  getWinPosition: false,
  getWinSizePixels: false,
  getScreenSizePixels: false,
  getCellSizePixels: false,
  getWinSizeChars: false,
  getScreenSizeChars: false,
  getIconTitle: false,
  getWinTitle: false,
  pushTitle: false,
  popTitle: false,
  setWinLines: false,
};

/** Only http and https links are offered to the user; the transport's URL policy still decides (T-37). */
export function isWebLink(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

/** OSC 8 hyperlinks: a click hands an http(s) target to `open`; nothing else, and never without a click. */
export function hyperlinkHandler(open: (url: string) => void): ILinkHandler {
  return {
    allowNonHttpProtocols: false,
    activate: (_event, text) => {
      if (isWebLink(text)) open(text);
    },
  };
}

export type WebLink = { url: string; start: number; end: number };

/** Characters that end a link typed in plain text, and trailing punctuation that is not part of it. */
// eslint-disable-next-line no-control-regex
const LINK = /https?:\/\/[^\s"'<>`\\\u0000-\u001f\u007f]+/g;
const TRAILING = /[.,;:!?'")\]}>]+$/;

/** http(s) links in one line of plain terminal text, by column (0-based, end exclusive). */
export function findWebLinks(line: string): WebLink[] {
  const found: WebLink[] = [];
  for (const m of line.matchAll(LINK)) {
    const url = m[0].replace(TRAILING, '');
    if (url.length > 'https://'.length && isWebLink(url)) found.push({ url, start: m.index, end: m.index + url.length });
  }
  return found;
}

/** Plain-text http(s) links of the shown buffer, opened like OSC 8 links: only on a click, only through `open`. */
export function webLinkProvider(terminal: { buffer: { active: IBuffer } }, open: (url: string) => void): ILinkProvider {
  return {
    provideLinks(y, callback) {
      const text = terminal.buffer.active.getLine(y - 1)?.translateToString(true) ?? '';
      const links = findWebLinks(text).map((l) => ({
        text: l.url,
        range: { start: { x: l.start + 1, y }, end: { x: l.end, y } },
        activate: (_event: MouseEvent, url: string) => {
          if (isWebLink(url)) open(url);
        },
      }));
      callback(links.length > 0 ? links : undefined);
    },
  };
}

const THEMES: Record<TerminalLook, ITheme> = {
  dark: { background: '#1b1e23', foreground: '#e3e6ea', cursor: '#e3e6ea', cursorAccent: '#1b1e23', selectionBackground: '#3d5a80' },
  light: { background: '#fbfbfc', foreground: '#1f2328', cursor: '#1f2328', cursorAccent: '#fbfbfc', selectionBackground: '#b6d4fe' },
};

export function terminalTheme(look: TerminalLook): ITheme {
  return { ...THEMES[look] };
}

export type TerminalOptionsInput = {
  look: TerminalLook;
  /** Opens a link the user clicked (Transport.openExternal, which applies the URL policy). */
  openLink: (url: string) => void;
  fontSize?: number;
};

export function buildTerminalOptions(input: TerminalOptionsInput): ITerminalOptions & ITerminalInitOnlyOptions {
  return {
    theme: terminalTheme(input.look),
    fontSize: input.fontSize ?? 13,
    fontFamily: 'ui-monospace, "SF Mono", Menlo, Consolas, "DejaVu Sans Mono", "Liberation Mono", monospace',
    cursorBlink: true,
    scrollback: 5000,
    linkHandler: hyperlinkHandler(input.openLink),
    windowOptions: { ...NO_WINDOW_OPTIONS },
    // No clipboard addon is loaded, so OSC 52 has no handler: a program's output cannot write the clipboard.
    allowProposedApi: false,
  };
}
