// Owns: `berth doctor` in the UI — run the checks, each with its status, what was found and the fix.
import { useState } from 'react';
import type { DoctorReport } from '../../../../helpers/api/diagnostics.ts';
import { useBerth, useBusy } from '../../store/useBerth.ts';

const statusWords = { ok: 'OK', warn: 'Warning', fail: 'Failed' } as const;

export function DoctorSection() {
  const run = useBerth((s) => s.run);
  const busy = useBusy('doctor');
  const [report, setReport] = useState<DoctorReport | undefined>(undefined);
  return (
    <section className="panel" aria-labelledby="doctor-title" data-testid="doctor">
      <div className="panel-head">
        <h2 id="doctor-title">Checks</h2>
        <button type="button" disabled={busy} onClick={() => void run('doctor', 'Running the checks', (t) => t.call('doctor'), { refresh: false }).then((r) => r && setReport(r))}>
          {report ? 'Run the checks again' : 'Run the checks'}
        </button>
      </div>
      {busy ? <p aria-live="polite">Checking…</p> : null}
      {report ? (
        <>
          <p className={report.ok ? 'tone-running' : 'error-message'} aria-live="polite">
            {report.ok ? 'No check failed.' : `${report.checks.filter((c) => c.status === 'fail').length} checks failed: see what to do below.`}
          </p>
          <ul className="check-list">
            {report.checks.map((c) => (
              <li key={c.id} className={`check-${c.status}`} data-testid={`doctor-${c.id}`}>
                <p>
                  <span className={`status-tag status-${c.status}`}>{statusWords[c.status]}</span> <strong>{c.title}</strong>
                </p>
                <p>{c.detail}</p>
                {c.fix ? (
                  <p>
                    <span className="label">Fix:</span> {c.fix}
                  </p>
                ) : null}
              </li>
            ))}
          </ul>
        </>
      ) : (
        <p className="muted">Checks QEMU, acceleration, disk space, sockets and Docker, and says how to fix what is wrong.</p>
      )}
    </section>
  );
}
