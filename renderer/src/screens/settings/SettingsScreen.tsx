// Owns: the Settings screen — settings and host limits read with settingsGet, a draft edited in the
// sections, the plan of what applying does (model/settingsPlan.ts), and settingsSet with apply as chosen.
import { useCallback, useEffect, useRef, useState } from 'react';
import type { SettingsChangeResult, SettingsView } from '../../../../helpers/api/controlApi.ts';
import type { Settings } from '../../../../helpers/api/settings.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { Screen } from '../../components/Screen.tsx';
import { checkDaemonJson, formatDaemonJson } from '../../model/daemonJson.ts';
import { formatBytes } from '../../model/displayFormat.ts';
import { resourceBounds, resourceProblems } from '../../model/resourceLimits.ts';
import { applyPlan } from '../../model/settingsPlan.ts';
import { useBerth } from '../../store/useBerth.ts';
import { ApplyBar } from './ApplyBar.tsx';
import { EngineSection } from './EngineSection.tsx';
import { GeneralSection } from './GeneralSection.tsx';
import { ResourceInput } from './ResourceInput.tsx';
import { SharesSection } from './SharesSection.tsx';

export function SettingsScreen() {
  const run = useBerth((s) => s.run);
  const vm = useBerth((s) => s.vm);
  const resources = useBerth((s) => s.status?.resources);
  const connected = useBerth((s) => s.connected);
  const [loadFailed, setLoadFailed] = useState(false);
  const [view, setView] = useState<SettingsView | undefined>(undefined);
  const [draft, setDraft] = useState<Settings | undefined>(undefined);
  const [daemonText, setDaemonText] = useState('');
  const [result, setResult] = useState<SettingsChangeResult | undefined>(undefined);
  const [confirming, setConfirming] = useState(false);
  const [applying, setApplying] = useState<string | undefined>(undefined);

  const reading = useRef(false);
  const load = useCallback(async () => {
    if (reading.current) return;
    reading.current = true;
    const v = await run('settings-load', 'Reading the settings', (t) => t.call('settingsGet'), { refresh: false });
    reading.current = false;
    setLoadFailed(!v);
    if (!v) return;
    setView(v);
    setDraft(v.settings);
    setDaemonText(formatDaemonJson(v.settings.docker.daemon));
  }, [run]);
  // Read on opening, and again when Berth answers after being away (if the first read failed).
  const loaded = view !== undefined;
  useEffect(() => {
    if (connected !== false && !loaded) void load();
  }, [load, connected, loaded]);

  if (!view || !draft) {
    return (
      <Screen id="settings" title="Settings">
        {loadFailed ? (
          <>
            <p>Berth could not read the settings (see the message above); they load by themselves when Berth answers again.</p>
            <div className="button-row">
              <button type="button" onClick={() => void load()}>
                Try again
              </button>
            </div>
          </>
        ) : (
          <p className="muted">Reading the settings…</p>
        )}
      </Screen>
    );
  }

  const daemon = checkDaemonJson(daemonText);
  const effective: Settings = daemon.ok ? { ...draft, docker: { ...draft.docker, daemon: daemon.daemon } } : draft;
  const bounds = resourceBounds(view.limits, view.settings);
  const problems = [...resourceProblems(effective, bounds), ...(daemon.ok ? [] : [daemon.message])];
  const plan = applyPlan(view.settings, effective, vm);
  const edit = (change: Partial<Settings>) => setDraft({ ...draft, ...change });

  const apply = async (restart: boolean) => {
    setConfirming(false);
    setApplying(restart ? plan.restartEffect : plan.applyEffect);
    const r = await run('settings-apply', restart ? 'Applying the settings and restarting the VM' : 'Applying the settings', (t) => t.call('settingsSet', { change: plan.change, apply: restart }));
    setApplying(undefined);
    if (!r) return;
    setResult(r);
    await load();
  };

  return (
    <Screen id="settings" title="Settings">
      {view.readOnly ? <p className="callout callout-warn">These settings are read-only here (set by your administrator or a locked file): they are shown, not changed.</p> : null}
      <fieldset className="panel" disabled={view.readOnly}>
        <legend>Resources</legend>
        <div className="field-grid">
          <ResourceInput resource="cpus" value={draft.cpus} bound={bounds.cpus} onChange={(cpus) => edit({ cpus })} running={resources ? String(resources.cpus) : undefined} />
          <ResourceInput resource="memory" value={draft.memory} bound={bounds.memory} onChange={(memory) => edit({ memory })} running={resources ? formatBytes(resources.memoryBytes) : undefined} />
          <ResourceInput resource="disk" value={draft.disk} bound={bounds.disk} onChange={(disk) => edit({ disk })} running={resources ? formatBytes(resources.diskBytes) : undefined} />
        </div>
      </fieldset>
      <SharesSection shares={draft.shares} onChange={(shares) => edit({ shares })} disabled={view.readOnly} />
      <GeneralSection value={draft} onChange={edit} disabled={view.readOnly} />
      <EngineSection daemonText={daemonText} onDaemonText={setDaemonText} proxy={draft.docker.proxy} onProxy={(proxy) => edit({ docker: { ...draft.docker, proxy } })} disabled={view.readOnly} />
      <ApplyBar
        plan={plan}
        problems={problems}
        applying={applying}
        readOnly={view.readOnly}
        result={result}
        restartPending={view.restartPending}
        onApply={() => void apply(false)}
        onApplyRestart={() => setConfirming(true)}
        onRevert={() => {
          setDraft(view.settings);
          setDaemonText(formatDaemonJson(view.settings.docker.daemon));
        }}
      />
      {confirming ? (
        <ConfirmDialog title="Apply and restart the VM?" confirmLabel="Apply & restart" onCancel={() => setConfirming(false)} onConfirm={() => void apply(true)}>
          <p>
            <strong>{plan.restartEffect}</strong>
          </p>
          <ul>
            {plan.lines.map((l) => (
              <li key={l}>{l}</li>
            ))}
          </ul>
        </ConfirmDialog>
      ) : null}
    </Screen>
  );
}
