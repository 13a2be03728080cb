// Owns: the Dashboard's resources card — CPU and memory in use (from `stats` events), what the VM
// was started with (or, while it does not run, what it will start with), Docker's version, the accelerator.
import { useEffect, useState } from 'react';
import type { Settings } from '../../../../helpers/api/settings.ts';
import { Meter } from '../../components/Meter.tsx';
import { formatBytes, formatPercent } from '../../model/displayFormat.ts';
import { useBerth } from '../../store/useBerth.ts';

/** While the VM does not run, the settings say what it will start with (read once; settings are no event). */
function useConfiguredResources(wanted: boolean): Pick<Settings, 'cpus' | 'memory' | 'disk'> | undefined {
  const run = useBerth((s) => s.run);
  const connected = useBerth((s) => s.connected);
  const [settings, setSettings] = useState<Settings | undefined>(undefined);
  useEffect(() => {
    if (!wanted || !connected) return;
    let live = true;
    void run('settings-load', 'Reading the settings', (t) => t.call('settingsGet'), { refresh: false }).then((v) => live && v && setSettings(v.settings));
    return () => {
      live = false;
    };
  }, [wanted, connected, run]);
  return wanted ? settings : undefined;
}

export function ResourcesCard() {
  const stats = useBerth((s) => s.stats);
  const status = useBerth((s) => s.status);
  const resources = status?.resources;
  const accel = status?.accel;
  const cpus = resources?.cpus;
  const configured = useConfiguredResources(resources === undefined);
  return (
    <section className="panel" aria-labelledby="resources-title" data-testid="resources">
      <h2 id="resources-title">Resources</h2>
      {stats ? (
        <div className="meters">
          <Meter label="CPU in use" value={stats.cpu} text={`${formatPercent(stats.cpu)}${cpus ? ` of ${cpus} ${cpus === 1 ? 'CPU' : 'CPUs'}` : ''}`} testId="stats-cpu" />
          <Meter
            label="Memory in use"
            value={stats.memoryTotalBytes > 0 ? stats.memoryUsedBytes / stats.memoryTotalBytes : undefined}
            text={`${formatBytes(stats.memoryUsedBytes)} of ${formatBytes(stats.memoryTotalBytes)}`}
            testId="stats-memory"
          />
          {stats.diskUsedBytes !== undefined && stats.diskTotalBytes ? (
            <Meter label="Disk in use" value={stats.diskUsedBytes / stats.diskTotalBytes} text={`${formatBytes(stats.diskUsedBytes)} of ${formatBytes(stats.diskTotalBytes)}`} />
          ) : null}
        </div>
      ) : (
        <p className="muted">CPU and memory in use show here while the VM runs.</p>
      )}
      <dl className="facts">
        <dt>CPUs</dt>
        <dd data-testid="configured-cpus">{resources ? resources.cpus : (configured?.cpus ?? '—')}</dd>
        <dt>Memory</dt>
        <dd data-testid="configured-memory">{resources ? formatBytes(resources.memoryBytes) : configured ? formatBytes(configured.memory) : '—'}</dd>
        <dt>Disk</dt>
        <dd>{resources ? formatBytes(resources.diskBytes) : configured ? formatBytes(configured.disk) : '—'}</dd>
        <dt>Docker</dt>
        <dd data-testid="docker-version">{status?.dockerVersion ?? '—'}</dd>
        <dt>Acceleration</dt>
        <dd>
          {accel ? (
            <>
              {accel.accel}
              {accel.requested !== 'auto' && accel.requested !== accel.accel ? ` (asked for ${accel.requested})` : ''}
              <span className="muted"> — {accel.why}</span>
            </>
          ) : (
            '—'
          )}
        </dd>
        {status?.dockerContext ? (
          <>
            <dt>docker context</dt>
            <dd>
              <code>{status.dockerContext}</code>
            </dd>
          </>
        ) : null}
      </dl>
      {!resources ? (
        <p className="muted">
          {configured ? 'What the VM starts with' : 'What the VM runs with shows once it runs'}; change it in <a href="#/settings">Settings</a>.
        </p>
      ) : null}
    </section>
  );
}
