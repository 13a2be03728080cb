// Owns: the Volumes screen — name, size and use of each volume (from `volumes` events) and remove
// with confirmation.
import { useState } from 'react';
import type { VolumeSummary } from '../../../../helpers/api/docker.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { DockerUnavailable, useDockerUnavailable } from '../../components/DockerUnavailable.tsx';
import { Screen } from '../../components/Screen.tsx';
import { formatBytes } from '../../model/displayFormat.ts';
import { useBerth, useBusy } from '../../store/useBerth.ts';

function inUse(refCount: number): string {
  if (refCount < 0) return '—';
  if (refCount === 0) return 'No';
  return `${refCount} ${refCount === 1 ? 'container' : 'containers'}`;
}

function VolumeRow({ volume: v, onRemove }: { volume: VolumeSummary; onRemove: () => void }) {
  const busy = useBusy(`volume:${v.name}`);
  return (
    <tr data-testid={`volume-row-${v.name}`}>
      <th scope="row" className="wrap-anywhere">
        {v.name}
      </th>
      <td>{v.driver}</td>
      <td>{formatBytes(v.size)}</td>
      <td>{inUse(v.refCount)}</td>
      <td>
        <button type="button" className="button-danger" disabled={busy} onClick={onRemove}>
          Remove<span className="visually-hidden"> {v.name}</span>
        </button>
      </td>
    </tr>
  );
}

export function VolumesScreen() {
  const volumes = useBerth((s) => s.volumes);
  const removeVolume = useBerth((s) => s.removeVolume);
  const unavailable = useDockerUnavailable();
  const [removing, setRemoving] = useState<VolumeSummary | undefined>(undefined);
  return (
    <Screen id="volumes" title="Volumes">
      {unavailable ? (
        <DockerUnavailable reason={unavailable} />
      ) : volumes === undefined ? (
        <p className="muted">Waiting for Docker&rsquo;s list…</p>
      ) : volumes.length === 0 ? (
        <p className="empty">
          No volumes. Containers create them with <code>-v name:/path</code>, or run <code>docker volume create name</code>.
        </p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Volumes table">
          <table className="table" data-testid="volumes-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Driver</th>
                <th scope="col">Size</th>
                <th scope="col">In use</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {volumes.map((v) => (
                <VolumeRow key={v.name} volume={v} onRemove={() => setRemoving(v)} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      {removing ? (
        <ConfirmDialog
          title={`Remove volume ${removing.name}?`}
          confirmLabel="Remove"
          danger
          onCancel={() => setRemoving(undefined)}
          onConfirm={() => {
            const v = removing;
            setRemoving(undefined);
            void removeVolume(v.name);
          }}
        >
          <p>
            Berth deletes the volume {removing.name} and every file in it{removing.size >= 0 ? ` (${formatBytes(removing.size)})` : ''}. This cannot be undone.
          </p>
          {removing.refCount > 0 ? <p>{inUse(removing.refCount)} use it: Docker refuses to remove it until they are removed.</p> : null}
        </ConfirmDialog>
      ) : null}
    </Screen>
  );
}
