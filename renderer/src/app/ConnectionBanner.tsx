// Owns: the banner shown while berthd's event stream is down (or not up yet), saying what to do.
import { sentence } from '../model/displayFormat.ts';
import { useBerth } from '../store/useBerth.ts';

export function ConnectionBanner() {
  const connected = useBerth((s) => s.connected);
  const kind = useBerth((s) => s.transport.kind);
  const problem = useBerth((s) => s.connectionProblem);
  if (connected === true) return null;
  if (connected === undefined) {
    return (
      <p className="banner banner-info" role="status" data-testid="connection-banner">
        Connecting to Berth…
      </p>
    );
  }
  return (
    <div className="banner banner-error" role="alert" data-testid="connection-banner">
      <p>
        <strong>Berth&rsquo;s engine is not answering.</strong> What you see may be out of date; this page reconnects by itself.
      </p>
      {problem ? (
        <p data-code={problem.code}>
          {sentence(problem.message)} <span className="label">What to do:</span> {sentence(problem.hint)}
        </p>
      ) : (
        <p>
          If this lasts, run <code>berth start</code> in a terminal
          {kind === 'browser' ? <>, and check that <code>berth dashboard</code> still runs</> : null}.
        </p>
      )}
    </div>
  );
}
