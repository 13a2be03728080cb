// Owns: one terminal on screen — xterm.js with the fit addon joined to a Transport's TerminalChannel:
// input and output, resize on fit, links through openExternal after a click, and the session's end said.
import '@xterm/xterm/css/xterm.css';
import './terminalView.css';
import { FitAddon } from '@xterm/addon-fit';
import { Terminal } from '@xterm/xterm';
import { useEffect, useRef, useState, type ReactElement } from 'react';
import type { TerminalSpec } from '../../../helpers/api/terminal.ts';
import type { Transport } from '../../../helpers/api/transport.ts';
import { buildTerminalOptions, terminalTheme, webLinkProvider, type TerminalLook } from './terminalOptions.ts';
import { statusAfter, statusAfterClose, type TerminalStatus } from './terminalStatus.ts';

/** One session per mounted view: give it a `key` per tab, so a new spec is a new view. */
export interface TerminalViewProps {
  transport: Transport;
  spec: TerminalSpec;
  look: TerminalLook;
  /** The session's title once it runs ("VM shell", "web-1: /bin/sh"). */
  onTitle?: (title: string) => void;
  /** The session ended (exit, error or lost connection). */
  onEnded?: (status: Extract<TerminalStatus, { kind: 'ended' }>) => void;
}

/** The bytes of an onBinary string (each char one byte, as xterm.js sends mouse reports). */
function binaryBytes(data: string): Uint8Array {
  return Uint8Array.from(data, (c) => c.charCodeAt(0) & 0xff);
}

export function TerminalView({ transport, spec, look, onTitle, onEnded }: TerminalViewProps): ReactElement {
  const hostRef = useRef<HTMLDivElement>(null);
  const termRef = useRef<Terminal | undefined>(undefined);
  const [status, setStatus] = useState<TerminalStatus>({ kind: 'connecting' });
  const [linkNotice, setLinkNotice] = useState<string | undefined>(undefined);
  // The latest props for the session's callbacks; updated before the session effect below runs.
  const latest = useRef({ onTitle, onEnded, look });
  useEffect(() => {
    latest.current = { onTitle, onEnded, look };
  });
  const specKey = JSON.stringify(spec);

  useEffect(() => {
    const host = hostRef.current;
    if (!host) return undefined;
    const openLink = (url: string): void => {
      setLinkNotice(undefined);
      transport.openExternal(url).catch((e: unknown) => setLinkNotice(e instanceof Error ? e.message : String(e)));
    };
    const term = new Terminal(buildTerminalOptions({ look: latest.current.look, openLink }));
    termRef.current = term;
    const fit = new FitAddon();
    term.loadAddon(fit);
    term.open(host);
    const refit = (): void => {
      try {
        fit.fit();
      } catch {
        // not laid out yet (hidden tab): the next resize fits it
      }
    };
    refit();
    const links = term.registerLinkProvider(webLinkProvider(term, openLink));
    const channel = transport.openTerminal({ ...(JSON.parse(specKey) as TerminalSpec), cols: term.cols, rows: term.rows });
    let current: TerminalStatus = { kind: 'connecting' };
    const show = (next: TerminalStatus): void => {
      current = next;
      setStatus(next);
      if (next.kind === 'running') latest.current.onTitle?.(next.title);
      if (next.kind === 'ended') {
        term.options.disableStdin = true;
        term.options.cursorBlink = false;
        latest.current.onEnded?.(next);
      }
    };
    channel.onData((d) => term.write(d));
    channel.onMessage((m) => {
      show(statusAfter(m));
      if (m.type === 'ready') term.focus();
    });
    channel.onClose(() => {
      if (current.kind !== 'ended') show(statusAfterClose(current));
    });
    const input = term.onData((d) => channel.write(d));
    const binary = term.onBinary((d) => channel.write(binaryBytes(d)));
    const resized = term.onResize(({ cols, rows }) => channel.resize(cols, rows));
    const observer = new ResizeObserver(refit);
    observer.observe(host);
    return () => {
      observer.disconnect();
      input.dispose();
      binary.dispose();
      resized.dispose();
      links.dispose();
      channel.close();
      term.dispose();
      termRef.current = undefined;
    };
  }, [transport, specKey]);

  useEffect(() => {
    if (termRef.current) termRef.current.options.theme = terminalTheme(look);
  }, [look]);

  return (
    <div className="terminal-view">
      {status.kind === 'connecting' && (
        <p className="terminal-status" role="status">
          Opening the terminal…
        </p>
      )}
      {status.kind === 'ended' && (
        <div className={`terminal-status terminal-status-${status.tone}`} role={status.tone === 'error' ? 'alert' : 'status'}>
          <strong>{status.title}.</strong> {status.detail} {status.action}
        </div>
      )}
      {linkNotice && (
        <div className="terminal-status terminal-status-error" role="alert">
          {linkNotice}{' '}
          <button type="button" onClick={() => setLinkNotice(undefined)}>
            Dismiss
          </button>
        </div>
      )}
      <div className="terminal-screen" ref={hostRef} aria-label={status.kind === 'running' ? status.title : 'terminal'} />
    </div>
  );
}
