// Owns: the Dashboard's VM card — its state in words (phase and progress while starting, degraded
// reasons, an error's reason and what to do) and Start / Stop / Restart as the state allows.
import { Meter } from '../../components/Meter.tsx';
import { useNow } from '../../components/useNow.ts';
import { formatDuration, formatPercent, sentence } from '../../model/displayFormat.ts';
import { lifecycle, vmHeadline } from '../../model/vmLifecycle.ts';
import { useBerth, useBusy } from '../../store/useBerth.ts';

export function VmStateCard() {
  const vm = useBerth((s) => s.vm);
  const pending = useBerth((s) => s.status?.restartPending);
  const connected = useBerth((s) => s.connected);
  const start = useBerth((s) => s.start);
  const stop = useBerth((s) => s.stop);
  const restart = useBerth((s) => s.restart);
  const starting = useBusy('lifecycle:start');
  const stopping = useBusy('lifecycle:stop');
  const restarting = useBusy('lifecycle:restart');
  const now = useNow(1000, vm?.state === 'running' || vm?.state === 'starting');
  const headline = vmHeadline(vm);
  const allowed = lifecycle(vm);

  return (
    <section className="panel vm-card" aria-labelledby="vm-card-title" data-testid="vm-state" data-state={vm?.state ?? 'unknown'}>
      <h2 id="vm-card-title">Virtual machine</h2>
      <p className={`vm-title tone-${headline.tone}`} aria-live="polite">
        <span className="dot" aria-hidden="true" />
        {headline.title}
      </p>

      {vm?.state === 'starting' ? (
        <Meter label="Start progress" value={vm.progress} text={`${vm.phase} · ${formatPercent(vm.progress)} · ${formatDuration((now - vm.since) / 1000)}`} testId="vm-progress" />
      ) : null}
      {vm?.state === 'running' ? <p className="muted">Up {formatDuration((now - vm.since) / 1000)}</p> : null}
      {vm?.state === 'stopped' && vm.lastExit ? <p className="muted">Last exit: {sentence(vm.lastExit)}</p> : null}
      {vm?.state === 'stopping' ? <p className="muted">Stopping containers and shutting the VM down…</p> : null}

      {vm?.state === 'running' && vm.degraded.length > 0 ? (
        <div className="callout callout-warn" data-testid="vm-degraded">
          <p>Berth runs, but not everything works:</p>
          <ul>
            {vm.degraded.map((d, i) => (
              <li key={`${d.what}-${i}`}>
                <strong>{d.what}</strong>: {d.message}
              </li>
            ))}
          </ul>
        </div>
      ) : null}

      {vm?.state === 'error' ? (
        <div className="callout callout-error" data-testid="vm-error">
          <p className="error-message">{sentence(vm.reason)}</p>
          <p>
            <span className="label">What to do:</span> {sentence(vm.hint)}
          </p>
          {vm.lastLog.length > 0 ? (
            <details>
              <summary>Last lines of the VM console</summary>
              <pre className="log" tabIndex={0}>
                {vm.lastLog.join('\n')}
              </pre>
            </details>
          ) : null}
        </div>
      ) : null}

      {pending && pending.length > 0 ? (
        <p className="callout callout-info" data-testid="restart-pending">
          Changed settings wait for a restart: {pending.join(', ')}. Restart the VM to use them.
        </p>
      ) : null}

      <div className="button-row">
        <button type="button" className="button-primary" onClick={() => void start()} disabled={starting || !allowed.start || connected === false}>
          Start
        </button>
        <button type="button" onClick={() => void stop()} disabled={stopping || !allowed.stop || connected === false}>
          Stop
        </button>
        <button type="button" onClick={() => void restart()} disabled={restarting || !allowed.restart || connected === false}>
          Restart
        </button>
      </div>
    </section>
  );
}
