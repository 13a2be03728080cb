// Owns: the Dashboard — the VM card, resources, what runs in Docker at a glance, and ports that
// cannot be forwarded.
import { PortConflicts } from '../../components/PortConflicts.tsx';
import { Screen } from '../../components/Screen.tsx';
import { useBerth } from '../../store/useBerth.ts';
import { ResourcesCard } from './ResourcesCard.tsx';
import { VmStateCard } from './VmStateCard.tsx';

function DockerSummary() {
  const containers = useBerth((s) => s.containers);
  const images = useBerth((s) => s.images);
  const volumes = useBerth((s) => s.volumes);
  if (containers === undefined && images === undefined && volumes === undefined) return null;
  const running = containers?.filter((c) => c.state === 'running').length ?? 0;
  return (
    <section className="panel" aria-labelledby="docker-summary-title">
      <h2 id="docker-summary-title">Docker</h2>
      <ul className="summary-list">
        {containers ? (
          <li>
            <a href="#/containers">
              {running} running of {containers.length} {containers.length === 1 ? 'container' : 'containers'}
            </a>
          </li>
        ) : null}
        {images ? (
          <li>
            <a href="#/images">
              {images.length} {images.length === 1 ? 'image' : 'images'}
            </a>
          </li>
        ) : null}
        {volumes ? (
          <li>
            <a href="#/volumes">
              {volumes.length} {volumes.length === 1 ? 'volume' : 'volumes'}
            </a>
          </li>
        ) : null}
      </ul>
    </section>
  );
}

export function DashboardScreen() {
  return (
    <Screen id="dashboard" title="Dashboard">
      <PortConflicts />
      <div className="card-grid">
        <VmStateCard />
        <ResourcesCard />
        <DockerSummary />
      </div>
    </Screen>
  );
}
