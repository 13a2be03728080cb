// Owns: one container's inspect view — Docker's JSON as it sent it, pretty-printed and scrollable.
import { useEffect, useState } from 'react';
import type { ApiError } from '../../../../helpers/api/controlApi.ts';
import { sentence } from '../../model/displayFormat.ts';
import { toApiError } from '../../store/berthState.ts';
import { useBerth } from '../../store/useBerth.ts';

export function ContainerInspectPanel({ id, name }: { id: string; name: string }) {
  const transport = useBerth((s) => s.transport);
  const [json, setJson] = useState<string | undefined>(undefined);
  const [error, setError] = useState<ApiError | undefined>(undefined);
  useEffect(() => {
    let live = true;
    setJson(undefined);
    setError(undefined);
    transport.call('containerInspect', { id }).then(
      (r) => live && setJson(JSON.stringify(r.inspect, null, 2)),
      (e: unknown) => live && setError(toApiError(e)),
    );
    return () => {
      live = false;
    };
  }, [transport, id]);
  return (
    <section className="panel" aria-labelledby="inspect-title" data-testid="container-inspect">
      <h2 id="inspect-title">Inspect {name}</h2>
      {error ? (
        <p className="error-message">
          {sentence(error.message)} {sentence(error.hint)}
        </p>
      ) : json === undefined ? (
        <p className="muted">Reading…</p>
      ) : (
        <pre className="log log-tall json" tabIndex={0} aria-label={`docker inspect ${name}`}>
          {json}
        </pre>
      )}
    </section>
  );
}
