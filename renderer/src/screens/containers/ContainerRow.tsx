// Owns: one row of the containers table — name, state, image, Docker's status, published ports
// (links when they answer on this computer) and the actions the container's state allows.
import type { ContainerSummary } from '../../../../helpers/api/docker.ts';
import type { PortForward } from '../../../../helpers/api/ports.ts';
import { containerPortViews, type ContainerPortView } from '../../model/portProblems.ts';
import { localPortUrl } from '../../transport/externalUrl.ts';
import { useBerth, useBusy } from '../../store/useBerth.ts';

export type RowRequest = 'logs' | 'inspect' | 'terminal' | 'remove';

const portNote: Record<ContainerPortView['state'], string> = {
  forwarding: '',
  conflict: 'port in use on this computer',
  error: 'could not be opened',
  'not-forwarded': 'not forwarded',
  unknown: 'waiting for Berth',
};

function PortCell({ container, forwards }: { container: ContainerSummary; forwards: readonly PortForward[] }) {
  const openLink = useBerth((s) => s.openLink);
  const views = containerPortViews(container, forwards);
  if (views.length === 0) return <span className="muted">—</span>;
  return (
    <ul className="port-list">
      {views.map((v) => (
        <li key={v.key}>
          {v.linkable && v.hostPort !== undefined ? (
            <a
              href={localPortUrl(v.hostPort)}
              onClick={(e) => {
                e.preventDefault();
                void openLink(localPortUrl(v.hostPort!));
              }}
              data-testid={`port-link-${v.hostPort}`}
            >
              {v.text}
            </a>
          ) : (
            <span className={v.state === 'conflict' || v.state === 'error' ? 'port-bad' : undefined} title={v.message}>
              {v.text}
              {portNote[v.state] && v.hostPort !== undefined ? <span className="muted"> ({portNote[v.state]})</span> : null}
            </span>
          )}
        </li>
      ))}
    </ul>
  );
}

export function ContainerRow({ container: c, forwards, onRequest }: { container: ContainerSummary; forwards: readonly PortForward[]; onRequest: (r: RowRequest) => void }) {
  const act = useBerth((s) => s.containerAction);
  const busy = useBusy(`container:${c.id}`);
  const running = c.state === 'running' || c.state === 'restarting';
  const who = <span className="visually-hidden"> {c.name}</span>;
  return (
    <tr data-testid={`container-row-${c.name}`} data-state={c.state}>
      <th scope="row" className="name-cell">
        {c.name}
      </th>
      <td>
        <span className={`state-pill state-${c.state}`}>{c.state}</span>
      </td>
      <td className="wrap-anywhere">{c.image}</td>
      <td>{c.status}</td>
      <td>
        <PortCell container={c} forwards={forwards} />
      </td>
      <td>
        <div className="button-row compact">
          {running ? (
            <>
              <button type="button" disabled={busy} onClick={() => void act(c, 'stop')}>
                Stop{who}
              </button>
              <button type="button" disabled={busy} onClick={() => void act(c, 'restart')}>
                Restart{who}
              </button>
            </>
          ) : (
            <button type="button" disabled={busy || c.state === 'removing'} onClick={() => void act(c, 'start')}>
              Start{who}
            </button>
          )}
          <button type="button" onClick={() => onRequest('logs')}>
            Logs{who}
          </button>
          <button type="button" onClick={() => onRequest('inspect')}>
            Inspect{who}
          </button>
          <button type="button" disabled={c.state !== 'running'} onClick={() => onRequest('terminal')}>
            Terminal{who}
          </button>
          <button type="button" className="button-danger" disabled={busy} onClick={() => onRequest('remove')}>
            Remove{who}
          </button>
        </div>
      </td>
    </tr>
  );
}
