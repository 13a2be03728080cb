// Owns: the Troubleshoot screen — logs, the checks with their fixes, restarting the VM, and the factory reset.
import { Screen } from '../../components/Screen.tsx';
import { lifecycle } from '../../model/vmLifecycle.ts';
import { useBerth, useBusy } from '../../store/useBerth.ts';
import { DoctorSection } from './DoctorSection.tsx';
import { LogsSection } from './LogsSection.tsx';
import { ResetSection } from './ResetSection.tsx';

function RestartSection() {
  const vm = useBerth((s) => s.vm);
  const restart = useBerth((s) => s.restart);
  const start = useBerth((s) => s.start);
  const restarting = useBusy('lifecycle:restart');
  const starting = useBusy('lifecycle:start');
  const allowed = lifecycle(vm);
  return (
    <section className="panel" aria-labelledby="restart-title">
      <h2 id="restart-title">Restart</h2>
      <p>A restart stops every running container, shuts the VM down and boots it again; it fixes most stuck states.</p>
      <div className="button-row">
        <button type="button" disabled={restarting || !allowed.restart} onClick={() => void restart()}>
          Restart
        </button>
        {vm?.state === 'error' || vm?.state === 'stopped' ? (
          <button type="button" disabled={starting || !allowed.start} onClick={() => void start()}>
            Start
          </button>
        ) : null}
      </div>
    </section>
  );
}

export function TroubleshootScreen() {
  return (
    <Screen id="troubleshoot" title="Troubleshoot">
      <LogsSection />
      <DoctorSection />
      <RestartSection />
      <ResetSection />
    </Screen>
  );
}
