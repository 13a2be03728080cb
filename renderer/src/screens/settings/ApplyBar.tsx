// Owns: the settings panel's apply area — each pending change in words, what "Apply" and "Apply &
// restart" will do (said before either is pressed), what blocks applying, and the last result.
import type { SettingsChangeResult } from '../../../../helpers/api/controlApi.ts';
import { sentence } from '../../model/displayFormat.ts';
import type { ApplyPlan } from '../../model/settingsPlan.ts';

export interface ApplyBarProps {
  plan: ApplyPlan;
  problems: string[];
  /** While applying: what was chosen, in words (the plan may change under it as the VM restarts). */
  applying: string | undefined;
  readOnly: boolean;
  result: SettingsChangeResult | undefined;
  restartPending: string[];
  onApply: () => void;
  onApplyRestart: () => void;
  onRevert: () => void;
}

export function ApplyBar({ plan, problems, applying, readOnly, result, restartPending, onApply, onApplyRestart, onRevert }: ApplyBarProps) {
  const changed = plan.lines.length > 0;
  const busy = applying !== undefined;
  const blocked = readOnly || busy || problems.length > 0 || !changed;
  return (
    <section className="panel apply-bar" aria-labelledby="apply-title" data-testid="settings-apply">
      <h2 id="apply-title">{busy ? 'Applying' : changed ? 'Changes to apply' : 'No changes'}</h2>
      {changed ? (
        <ul className="change-list" data-testid="settings-changes">
          {plan.lines.map((l) => (
            <li key={l}>{l}</li>
          ))}
        </ul>
      ) : busy ? null : (
        <p className="muted">Every setting is as saved.</p>
      )}
      {busy ? (
        <p className="callout callout-info" aria-live="polite" data-testid="settings-applying">
          {applying}
        </p>
      ) : (
        <>
          {plan.warnings.map((w) => (
            <p key={w} className="callout callout-warn">
              {w}
            </p>
          ))}
          {problems.length > 0 ? (
            <div className="callout callout-error" role="alert">
              <p>Fix these before applying:</p>
              <ul>
                {problems.map((p) => (
                  <li key={p}>{p}</li>
                ))}
              </ul>
            </div>
          ) : null}
          {changed ? (
            <dl className="effects" data-testid="settings-effect">
              <dt>Apply</dt>
              <dd>{plan.applyEffect}</dd>
              {plan.canRestart ? (
                <>
                  <dt>Apply &amp; restart</dt>
                  <dd>{plan.restartEffect}</dd>
                </>
              ) : null}
            </dl>
          ) : null}
        </>
      )}
      <div className="button-row">
        <button type="button" className={plan.canRestart ? undefined : 'button-primary'} disabled={blocked} onClick={onApply}>
          Apply
        </button>
        <button type="button" className="button-primary" disabled={blocked || !plan.canRestart} onClick={onApplyRestart} aria-describedby="restart-why">
          Apply &amp; restart
        </button>
        <button type="button" disabled={busy || !changed} onClick={onRevert}>
          Revert
        </button>
      </div>
      {busy ? null : (
        <p id="restart-why" className="hint">
          {plan.restartNote}
        </p>
      )}
      {result && !busy ? (
        <p className="callout callout-info" aria-live="polite" data-testid="settings-result">
          {result.changed.length > 0 ? `Changed ${result.changed.join(', ')}. ` : ''}
          {sentence(result.message)}
        </p>
      ) : null}
      {restartPending.length > 0 && !busy ? (
        <p className="callout callout-warn" data-testid="settings-restart-pending">
          Waiting for a VM restart: {restartPending.join(', ')}. Restart it on the Dashboard when it suits you.
        </p>
      ) : null}
    </section>
  );
}
