// Owns: the factory reset — ask berthd for the plan first, show exactly which files go (and their
// size), require typing "reset", then reset and say what was deleted and what was kept.
import { useState } from 'react';
import type { ResetPlan, ResetResult } from '../../../../helpers/api/diagnostics.ts';
import { formatBytes } from '../../model/displayFormat.ts';
import { useBerth, useBusy } from '../../store/useBerth.ts';

export const RESET_WORD = 'reset';

export function ResetSection() {
  const run = useBerth((s) => s.run);
  const busy = useBusy('reset');
  const [includeSettings, setIncludeSettings] = useState(false);
  const [plan, setPlan] = useState<ResetPlan | undefined>(undefined);
  const [typed, setTyped] = useState('');
  const [result, setResult] = useState<{ result: ResetResult; stopped: string } | undefined>(undefined);

  const makePlan = async () => {
    setResult(undefined);
    setTyped('');
    const p = await run('reset', 'Planning the factory reset', (t) => t.call('resetPlan', { includeSettings }), { refresh: false });
    if (p) setPlan(p);
  };
  const reset = async () => {
    const r = await run('reset', 'Resetting Berth', (t) => t.call('reset', { includeSettings }));
    setPlan(undefined);
    setTyped('');
    if (r) setResult({ result: r.result, stopped: r.stopped });
  };

  return (
    <section className="panel panel-danger" aria-labelledby="reset-title" data-testid="factory-reset">
      <h2 id="reset-title">Factory reset</h2>
      <p>Stops the VM and deletes its disk — every image, container and volume — and Berth&rsquo;s runtime state. Nothing outside Berth&rsquo;s folder is touched.</p>
      <label className="check">
        <input type="checkbox" checked={includeSettings} disabled={busy} onChange={(e) => (setIncludeSettings(e.target.checked), setPlan(undefined))} /> Also delete my settings
      </label>
      <div className="button-row">
        <button type="button" disabled={busy} onClick={() => void makePlan()}>
          Show what a reset deletes
        </button>
      </div>
      {plan ? (
        <div className="reset-plan" data-testid="reset-plan">
          <p>
            <strong>
              A reset deletes {plan.items.length} {plan.items.length === 1 ? 'file' : 'files'} ({formatBytes(plan.totalBytes)}) in <code className="wrap-anywhere">{plan.home}</code>:
            </strong>
          </p>
          <ul className="plain-list">
            {plan.items.map((i) => (
              <li key={i.path}>
                <code className="wrap-anywhere">{i.path}</code> — {i.what} ({formatBytes(i.bytes)})
              </li>
            ))}
          </ul>
          {!plan.includeSettings ? <p className="hint">Your settings are kept.</p> : null}
          <div className="inline-form">
            <label htmlFor="reset-confirm">Type &ldquo;{RESET_WORD}&rdquo; to confirm</label>
            <input id="reset-confirm" value={typed} onChange={(e) => setTyped(e.target.value)} autoComplete="off" spellCheck={false} data-testid="reset-confirm" />
            <button type="button" className="button-danger" disabled={busy || typed.trim() !== RESET_WORD} onClick={() => void reset()}>
              Delete these files and reset
            </button>
            <button type="button" onClick={() => setPlan(undefined)}>
              Cancel
            </button>
          </div>
        </div>
      ) : null}
      {result ? (
        <div className="callout callout-info" aria-live="polite" data-testid="reset-result">
          <p>
            {result.stopped} Deleted {result.result.deleted.length} {result.result.deleted.length === 1 ? 'file' : 'files'} ({formatBytes(result.result.deleted.reduce((n, d) => n + d.bytes, 0))}).
          </p>
          {result.result.kept.length > 0 ? (
            <ul>
              {result.result.kept.map((k) => (
                <li key={k}>Kept: {k}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
