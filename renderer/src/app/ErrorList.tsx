// Owns: the visible list of failures — each with what happened and what to do, dismissable.
import { sentence } from '../model/displayFormat.ts';
import { useBerth } from '../store/useBerth.ts';

export function ErrorList() {
  const errors = useBerth((s) => s.errors);
  const dismiss = useBerth((s) => s.dismissError);
  return (
    <section className="error-list" aria-label="Problems" aria-live="assertive" data-testid="error-list">
      {errors.map((e) => (
        <div key={e.id} className="error-item" data-testid="error-item" data-code={e.code}>
          <div className="error-text">
            <p className="error-message">
              {e.context ? <strong>{e.context} failed: </strong> : null}
              {sentence(e.message)}
            </p>
            <p className="error-hint">
              <span className="label">What to do:</span> {sentence(e.hint)}
            </p>
          </div>
          <button type="button" className="button-quiet" onClick={() => dismiss(e.id)} aria-label={`Dismiss: ${e.message}`}>
            Dismiss
          </button>
        </div>
      ))}
    </section>
  );
}
