// Owns: published ports Berth cannot forward (conflict / error, from the `ports` event), each with
// what happened and what to do; shown on the Dashboard and the Containers screen.
import { portProblems } from '../model/portProblems.ts';
import { useBerth } from '../store/useBerth.ts';

export function PortConflicts() {
  const forwards = useBerth((s) => s.forwards);
  const problems = portProblems(forwards);
  if (problems.length === 0) return null;
  return (
    <section className="panel panel-warn" aria-labelledby="port-conflicts-title" data-testid="port-conflict">
      <h2 id="port-conflicts-title">{problems.length === 1 ? 'A published port is not reachable' : `${problems.length} published ports are not reachable`}</h2>
      <ul className="plain-list">
        {problems.map((p) => (
          <li key={p.key} data-testid={`port-conflict-${p.hostPort}`}>
            <p>{p.message}</p>
            <p className="hint">
              <span className="label">What to do:</span> {p.hint}
            </p>
          </li>
        ))}
      </ul>
    </section>
  );
}
