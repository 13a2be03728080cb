// Owns: the Troubleshoot logs — the tail of one of berthd's logs (logTail, with Refresh), and for
// the console and berthd logs the lines that arrived live (`log` events) since.
import { useCallback, useEffect, useLayoutEffect, useRef, useState } from 'react';
import { logSources } from '../../../../helpers/api/controlApi.ts';
import { isAtBottom, linesSince } from '../../model/logBuffer.ts';
import { useBerth } from '../../store/useBerth.ts';

type Source = (typeof logSources)[number];
const sourceWords: Record<Source, string> = { berthd: 'berthd', console: 'VM console', docker: 'Docker', agent: 'Agent', containerd: 'containerd' };
const isLive = (s: Source): s is 'console' | 'berthd' => s === 'console' || s === 'berthd';

export function LogsSection() {
  const run = useBerth((s) => s.run);
  const [source, setSource] = useState<Source>('berthd');
  const [tail, setTail] = useState<{ lines: string[]; path: string; seq: number } | undefined>(undefined);
  const live = useBerth((s) => (isLive(source) ? s.liveLogs[source] : undefined));
  const seq = useBerth((s) => (isLive(source) ? s.liveLogSeq[source] : 0));
  const view = useRef<HTMLPreElement>(null);
  const [stick, setStick] = useState(true);

  // The tail remembers how many live lines had arrived when it was read, so only later ones follow it.
  const seqRef = useRef(seq);
  seqRef.current = seq;
  const refresh = useCallback(async () => {
    const r = await run('log-tail', `Reading the ${sourceWords[source]} log`, (t) => t.call('logTail', { source, lines: 500 }), { refresh: false });
    if (r) setTail({ lines: r.lines, path: r.path, seq: seqRef.current });
  }, [run, source]);
  useEffect(() => {
    setTail(undefined);
    void refresh();
  }, [refresh]);

  const fresh = tail && live ? linesSince(live, seq, tail.seq) : [];
  const shown = tail ? [...tail.lines, ...fresh] : [];
  useLayoutEffect(() => {
    if (stick && view.current) view.current.scrollTop = view.current.scrollHeight;
  }, [shown.length, stick]);

  return (
    <section className="panel" aria-labelledby="logs-section-title" data-testid="troubleshoot-logs">
      <div className="panel-head">
        <h2 id="logs-section-title">Logs</h2>
        <div className="button-row">
          <label htmlFor="log-source">Log</label>
          <select id="log-source" value={source} onChange={(e) => setSource(e.target.value as Source)}>
            {logSources.map((s) => (
              <option key={s} value={s}>
                {sourceWords[s]}
              </option>
            ))}
          </select>
          <button type="button" onClick={() => void refresh()}>
            Refresh
          </button>
        </div>
      </div>
      <p className="hint">
        {tail ? (
          <>
            {tail.lines.length === 0 ? 'Nothing yet in' : tail.lines.length === 1 ? 'The last line of' : `The last ${tail.lines.length} lines of`} <code className="wrap-anywhere">{tail.path}</code>
            {isLive(source) ? `, then live lines (${fresh.length} so far)` : ''}.
          </>
        ) : (
          'Reading…'
        )}
      </p>
      <pre ref={view} className="log log-tall" tabIndex={0} aria-label={`${sourceWords[source]} log`} onScroll={(e) => setStick(isAtBottom(e.currentTarget))} data-testid="log-view">
        {shown.join('\n')}
      </pre>
    </section>
  );
}
