// Owns: one container's log view — the containerLogs stream (follow on/off), stderr marked, new lines
// keeping the view at its end until the user scrolls up (then paused, with a way back).
import { useEffect, useLayoutEffect, useRef, useState } from 'react';
import type { ApiError } from '../../../../helpers/api/controlApi.ts';
import type { LogLine } from '../../../../helpers/api/docker.ts';
import { sentence } from '../../model/displayFormat.ts';
import { appendBounded, isAtBottom } from '../../model/logBuffer.ts';
import { useBerth } from '../../store/useBerth.ts';

const MAX_LINES = 5000;

export function ContainerLogsPanel({ id, name }: { id: string; name: string }) {
  const transport = useBerth((s) => s.transport);
  const [lines, setLines] = useState<LogLine[]>([]);
  const [follow, setFollow] = useState(true);
  const [autoScroll, setAutoScroll] = useState(true);
  const [ended, setEnded] = useState<{ error?: ApiError } | undefined>(undefined);
  const view = useRef<HTMLPreElement>(null);

  useEffect(() => {
    setLines([]);
    setEnded(undefined);
    let batch: LogLine[] = [];
    let frame: number | undefined;
    const flush = () => {
      frame = undefined;
      const added = batch;
      batch = [];
      setLines((old) => appendBounded(old, added, MAX_LINES));
    };
    const stop = transport.stream('containerLogs', { id, follow, tail: 500 }, {
      item: (line) => {
        batch.push(line);
        frame ??= requestAnimationFrame(flush);
      },
      end: (error) => {
        if (frame !== undefined) cancelAnimationFrame(frame);
        flush();
        setEnded(error ? { error } : {});
      },
    });
    return () => {
      if (frame !== undefined) cancelAnimationFrame(frame);
      stop();
    };
  }, [transport, id, follow]);

  useLayoutEffect(() => {
    const el = view.current;
    if (el && autoScroll) el.scrollTop = el.scrollHeight;
  }, [lines, autoScroll]);

  return (
    <section className="panel" aria-labelledby="logs-title" data-testid="container-logs">
      <div className="panel-head">
        <h2 id="logs-title">Logs of {name}</h2>
        <div className="button-row">
          <label className="check">
            <input type="checkbox" checked={follow} onChange={(e) => setFollow(e.target.checked)} /> Follow
          </label>
          {!autoScroll ? (
            <button type="button" onClick={() => setAutoScroll(true)}>
              Resume auto-scroll
            </button>
          ) : null}
          <button type="button" onClick={() => setLines([])}>
            Clear
          </button>
        </div>
      </div>
      <pre
        ref={view}
        className="log log-tall"
        tabIndex={0}
        aria-label={`Log of ${name}`}
        onScroll={(e) => setAutoScroll(isAtBottom(e.currentTarget))}
      >
        {lines.length === 0 ? <span className="muted">{ended ? 'No log lines.' : 'Waiting for log lines…'}</span> : null}
        {lines.map((l, i) => (
          <span key={i} className={l.stream === 'stderr' ? 'log-stderr' : undefined}>
            {l.line}
            {'\n'}
          </span>
        ))}
      </pre>
      <p className="muted" aria-live="polite">
        {ended?.error ? (
          <span className="error-message">
            The log stream stopped: {sentence(ended.error.message)} {sentence(ended.error.hint)}
          </span>
        ) : ended ? (
          follow ? 'The log ended (the container stopped).' : `Showing the last ${lines.length} lines; turn on Follow to see new ones.`
        ) : follow ? (
          autoScroll ? 'Following new lines.' : 'Paused: scrolled up. New lines still arrive below.'
        ) : null}
      </p>
    </section>
  );
}
