// Owns: pulling an image — the reference typed, the imagePull stream, one bar per layer (the pure
// reducer in model/pullProgress.ts), cancel, and the outcome.
import { type FormEvent, useEffect, useReducer, useRef, useState } from 'react';
import type { ApiError } from '../../../../helpers/api/controlApi.ts';
import { imageRefSchema, type PullProgress } from '../../../../helpers/api/docker.ts';
import { Meter } from '../../components/Meter.tsx';
import { formatBytes, sentence } from '../../model/displayFormat.ts';
import { applyPullItem, endPull, type PullState, pullSummary, startPull } from '../../model/pullProgress.ts';
import { useBerth } from '../../store/useBerth.ts';

type Action = { type: 'start'; ref: string } | { type: 'item'; item: PullProgress } | { type: 'end'; error?: ApiError };

function reduce(state: PullState | undefined, action: Action): PullState | undefined {
  if (action.type === 'start') return startPull(action.ref);
  if (state === undefined) return state;
  return action.type === 'item' ? applyPullItem(state, action.item) : endPull(state, action.error);
}

export function ImagePullPanel() {
  const transport = useBerth((s) => s.transport);
  const [ref, setRef] = useState('');
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [pull, dispatch] = useReducer(reduce, undefined);
  const cancel = useRef<(() => void) | undefined>(undefined);
  useEffect(() => () => cancel.current?.(), []);

  const submit = (e: FormEvent) => {
    e.preventDefault();
    const wanted = ref.trim();
    if (!imageRefSchema.safeParse(wanted).success) {
      setProblem(`"${wanted}" is not an image reference: write it like busybox, busybox:1.36 or registry.example.com/team/app:2`);
      return;
    }
    setProblem(undefined);
    dispatch({ type: 'start', ref: wanted });
    cancel.current = transport.stream('imagePull', { ref: wanted }, {
      item: (item) => dispatch({ type: 'item', item }),
      end: (error) => {
        cancel.current = undefined;
        dispatch(error ? { type: 'end', error } : { type: 'end' });
      },
    });
  };

  const pulling = pull?.outcome === 'pulling';
  return (
    <section className="panel" aria-labelledby="pull-title" data-testid="image-pull">
      <h2 id="pull-title">Pull an image</h2>
      <form className="inline-form" onSubmit={submit}>
        <label htmlFor="pull-ref">Image</label>
        <input id="pull-ref" value={ref} onChange={(e) => setRef(e.target.value)} placeholder="busybox:latest" spellCheck={false} autoComplete="off" aria-describedby={problem ? 'pull-problem' : undefined} aria-invalid={problem ? true : undefined} />
        <button type="submit" className="button-primary" disabled={pulling || ref.trim() === ''}>
          Pull
        </button>
        {pulling ? (
          <button
            type="button"
            onClick={() => {
              cancel.current?.();
              cancel.current = undefined;
              dispatch({ type: 'end', error: { code: 'cancelled', message: 'You cancelled the pull', hint: 'Pull again to resume; layers already downloaded are kept' } });
            }}
          >
            Cancel pull
          </button>
        ) : null}
      </form>
      {problem ? (
        <p id="pull-problem" className="error-message">
          {problem}
        </p>
      ) : null}
      {pull ? (
        <div className="pull" aria-live="polite">
          <p className={pull.outcome === 'failed' ? 'error-message' : undefined} data-testid="pull-summary">
            {pullSummary(pull)}
          </p>
          {pull.error ? (
            <>
              <p className="wrap-anywhere">{sentence(pull.error.message)}</p>
              <p>
                <span className="label">What to do:</span> {sentence(pull.error.hint)}
              </p>
            </>
          ) : null}
          <div className="meters">
            {pull.layers.map((l) => (
              <Meter
                key={l.id}
                label={`Layer ${l.id}`}
                value={l.fraction}
                text={`${l.status}${l.current !== undefined && l.total ? ` ${formatBytes(l.current)} of ${formatBytes(l.total)}` : ''}`}
              />
            ))}
          </div>
          {pull.messages.length > 0 ? (
            <ul className="plain-list muted">
              {pull.messages.map((m, i) => (
                <li key={i}>{m}</li>
              ))}
            </ul>
          ) : null}
        </div>
      ) : null}
    </section>
  );
}
