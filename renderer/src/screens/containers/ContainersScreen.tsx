// Owns: the Containers screen — the table (from `containers` events), the logs or inspect panel of
// the chosen container, remove with confirmation (force for a running one), and opening a terminal.
import { useState } from 'react';
import type { ContainerSummary } from '../../../../helpers/api/docker.ts';
import { goTo } from '../../app/useHashScreen.ts';
import { ConfirmDialog } from '../../components/ConfirmDialog.tsx';
import { DockerUnavailable, useDockerUnavailable } from '../../components/DockerUnavailable.tsx';
import { PortConflicts } from '../../components/PortConflicts.tsx';
import { Screen } from '../../components/Screen.tsx';
import { tabLabel } from '../../store/terminalTabs.ts';
import { useBerth } from '../../store/useBerth.ts';
import { ContainerInspectPanel } from './ContainerInspectPanel.tsx';
import { ContainerLogsPanel } from './ContainerLogsPanel.tsx';
import { ContainerRow, type RowRequest } from './ContainerRow.tsx';

type Detail = { id: string; name: string; view: 'logs' | 'inspect' };

export function ContainersScreen() {
  const containers = useBerth((s) => s.containers);
  const forwards = useBerth((s) => s.forwards);
  const act = useBerth((s) => s.containerAction);
  const openTerminal = useBerth((s) => s.openTerminal);
  const unavailable = useDockerUnavailable();
  const [detail, setDetail] = useState<Detail | undefined>(undefined);
  const [removing, setRemoving] = useState<ContainerSummary | undefined>(undefined);

  const onRequest = (c: ContainerSummary, r: RowRequest) => {
    if (r === 'remove') setRemoving(c);
    else if (r === 'terminal') {
      openTerminal({ kind: 'container', id: c.id }, tabLabel({ kind: 'container', id: c.id }, c.name));
      goTo('terminal');
    } else setDetail({ id: c.id, name: c.name, view: r });
  };

  const running = removing !== undefined && (removing.state === 'running' || removing.state === 'restarting' || removing.state === 'paused');
  return (
    <Screen id="containers" title="Containers">
      <PortConflicts />
      {unavailable ? (
        <DockerUnavailable reason={unavailable} />
      ) : containers === undefined ? (
        <p className="muted">Waiting for Docker&rsquo;s list…</p>
      ) : containers.length === 0 ? (
        <p className="empty">
          No containers yet. Run one from a terminal, for example <code>docker run -d -p 8080:80 nginx</code>; it shows here at once.
        </p>
      ) : (
        <div className="table-scroll" tabIndex={0} role="region" aria-label="Containers table">
          <table className="table" data-testid="containers-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">State</th>
                <th scope="col">Image</th>
                <th scope="col">Status</th>
                <th scope="col">Ports</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {containers.map((c) => (
                <ContainerRow key={c.id} container={c} forwards={forwards} onRequest={(r) => onRequest(c, r)} />
              ))}
            </tbody>
          </table>
        </div>
      )}

      {detail ? (
        <div className="detail">
          <div className="button-row">
            <button type="button" aria-pressed={detail.view === 'logs'} onClick={() => setDetail({ ...detail, view: 'logs' })}>
              Logs
            </button>
            <button type="button" aria-pressed={detail.view === 'inspect'} onClick={() => setDetail({ ...detail, view: 'inspect' })}>
              Inspect
            </button>
            <button type="button" onClick={() => setDetail(undefined)}>
              Close
            </button>
          </div>
          {detail.view === 'logs' ? <ContainerLogsPanel id={detail.id} name={detail.name} /> : <ContainerInspectPanel id={detail.id} name={detail.name} />}
        </div>
      ) : null}

      {removing ? (
        <ConfirmDialog
          title={`Remove ${removing.name}?`}
          confirmLabel={running ? 'Stop and remove' : 'Remove'}
          danger
          onCancel={() => setRemoving(undefined)}
          onConfirm={() => {
            const c = removing;
            setRemoving(undefined);
            if (detail?.id === c.id) setDetail(undefined);
            void act(c, 'remove', running);
          }}
        >
          {running ? (
            <p>
              <strong>{removing.name} is running.</strong> Berth stops it at once (force) and deletes it with every change made inside its file system.
            </p>
          ) : (
            <p>Berth deletes {removing.name} and every change made inside its file system.</p>
          )}
          <p>Its image and its named volumes stay.</p>
        </ConfirmDialog>
      ) : null}
    </Screen>
  );
}
