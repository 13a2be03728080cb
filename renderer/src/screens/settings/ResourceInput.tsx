// Owns: one resource input (CPUs, memory in GiB, disk in GiB) — the host's bounds shown beside it,
// min/max/step on the input, a value out of bounds refused while typing and pulled back in on leaving.
import { useEffect, useId, useState } from 'react';
import { type Bound, clamp, describeBound, inputAttributes, inputValue, readResource, type Resource } from '../../model/resourceLimits.ts';

const labels: Record<Resource, string> = { cpus: 'CPUs', memory: 'Memory (GiB)', disk: 'Disk (GiB)' };
const anyBound: Bound = { min: -Infinity, max: Infinity };

export function ResourceInput({ resource, value, bound, onChange, disabled, running }: { resource: Resource; value: number; bound: Bound; onChange: (v: number) => void; disabled?: boolean; running?: string }) {
  const id = useId();
  const [text, setText] = useState(() => inputValue(resource, value));
  const [problem, setProblem] = useState<string | undefined>(undefined);
  const [note, setNote] = useState<string | undefined>(undefined);

  // A value set from outside (Revert, a reload) replaces what the input shows.
  useEffect(() => {
    setText((t) => {
      const r = readResource(resource, t, anyBound);
      return r.ok && r.value === value ? t : inputValue(resource, value);
    });
    setProblem(undefined);
  }, [resource, value]);

  const attrs = inputAttributes(resource, bound);
  return (
    <div className="field">
      <label htmlFor={id}>{labels[resource]}</label>
      <input
        id={id}
        type="number"
        inputMode="decimal"
        {...attrs}
        value={text}
        disabled={disabled}
        aria-invalid={problem ? true : undefined}
        aria-describedby={`${id}-bounds${problem || note ? ` ${id}-msg` : ''}`}
        data-testid={`setting-${resource}`}
        onChange={(e) => {
          setText(e.target.value);
          setNote(undefined);
          const r = readResource(resource, e.target.value, bound);
          setProblem(r.ok ? undefined : r.message);
          if (r.ok) onChange(r.value);
        }}
        onBlur={() => {
          const r = readResource(resource, text, anyBound);
          if (!r.ok || (r.value >= bound.min && r.value <= bound.max)) return;
          const v = clamp(r.value, bound);
          onChange(v);
          setText(inputValue(resource, v));
          setProblem(undefined);
          setNote(`Set to ${inputValue(resource, v)}: ${describeBound(resource, bound)}.`);
        }}
      />
      <p id={`${id}-bounds`} className="hint">
        {describeBound(resource, bound)}
        {running ? ` · the VM runs with ${running}` : ''}
      </p>
      {problem || note ? (
        <p id={`${id}-msg`} className={problem ? 'error-message' : 'hint'} role={problem ? 'alert' : undefined}>
          {problem ?? note}
        </p>
      ) : null}
    </div>
  );
}
