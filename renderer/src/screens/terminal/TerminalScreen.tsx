// Owns: the Terminal screen — one tab per session (VM shell, container, this computer) following the
// ARIA tabs pattern, each tab's TerminalView kept mounted (hidden when not shown) until its tab closes.
import { type KeyboardEvent, useState } from 'react';
import { Screen } from '../../components/Screen.tsx';
import { useColorScheme } from '../../components/useColorScheme.ts';
import { neighbourTab, tabLabel } from '../../store/terminalTabs.ts';
import { useBerth } from '../../store/useBerth.ts';
import { TerminalView } from '../../terminal/TerminalView.tsx';

export function TerminalScreen({ hidden }: { hidden: boolean }) {
  const terminals = useBerth((s) => s.terminals);
  const transport = useBerth((s) => s.transport);
  const vmRunning = useBerth((s) => s.vm?.state === 'running');
  const open = useBerth((s) => s.openTerminal);
  const close = useBerth((s) => s.closeTerminal);
  const select = useBerth((s) => s.selectTerminal);
  const look = useColorScheme();
  const [titles, setTitles] = useState<Record<number, string>>({});
  const [ended, setEnded] = useState<Record<number, boolean>>({});

  const onTabKey = (e: KeyboardEvent, id: number) => {
    const step = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (step === 0) return;
    e.preventDefault();
    const next = neighbourTab(terminals, id, step);
    if (next === undefined) return;
    select(next);
    document.getElementById(`terminal-tab-${next}`)?.focus();
  };

  return (
    <Screen
      id="terminal"
      title="Terminal"
      hidden={hidden}
      actions={
        <>
          <button type="button" disabled={!vmRunning} onClick={() => open({ kind: 'vm' }, tabLabel({ kind: 'vm' }))} title={vmRunning ? undefined : 'The VM is not running'}>
            New VM shell
          </button>
          <button type="button" onClick={() => open({ kind: 'host' }, tabLabel({ kind: 'host' }))}>
            New shell on this computer
          </button>
        </>
      }
    >
      {terminals.tabs.length === 0 ? (
        <p className="empty">
          No terminal is open. Open a shell in the VM, a shell on this computer with <code>docker</code> pointed at Berth, or a container&rsquo;s shell from the Containers screen.
        </p>
      ) : (
        <div className="terminal-area" data-testid="terminal">
          <div className="tab-strip">
            <div role="tablist" aria-label="Terminal sessions" className="tablist">
              {terminals.tabs.map((t) => (
                <div key={t.id} className={`tab${terminals.active === t.id ? ' tab-active' : ''}`}>
                  <button
                    type="button"
                    role="tab"
                    id={`terminal-tab-${t.id}`}
                    aria-selected={terminals.active === t.id}
                    aria-controls={`terminal-panel-${t.id}`}
                    tabIndex={terminals.active === t.id ? 0 : -1}
                    onClick={() => select(t.id)}
                    onKeyDown={(e) => onTabKey(e, t.id)}
                    data-testid={`terminal-tab-${t.id}`}
                  >
                    {titles[t.id] ?? t.label}
                    {ended[t.id] ? ' (ended)' : ''}
                  </button>
                  <button type="button" className="tab-close" onClick={() => close(t.id)} aria-label={`Close ${titles[t.id] ?? t.label}`}>
                    ×
                  </button>
                </div>
              ))}
            </div>
          </div>
          {terminals.tabs.map((t) => (
            <div key={t.id} role="tabpanel" id={`terminal-panel-${t.id}`} aria-labelledby={`terminal-tab-${t.id}`} hidden={terminals.active !== t.id} className="terminal-panel">
              <TerminalView
                transport={transport}
                spec={t.spec}
                look={look}
                onTitle={(title) => setTitles((m) => ({ ...m, [t.id]: title }))}
                onEnded={() => setEnded((m) => ({ ...m, [t.id]: true }))}
              />
            </div>
          ))}
        </div>
      )}
    </Screen>
  );
}
