// Owns: what the Docker screens say instead of a list while Docker cannot answer (VM stopped, starting, failed).
import { dockerUnavailableReason } from '../model/vmLifecycle.ts';
import { useBerth } from '../store/useBerth.ts';

/** The reason Docker's lists are not shown, or undefined when they can be. */
export function useDockerUnavailable(): string | undefined {
  const vm = useBerth((s) => s.vm);
  const connected = useBerth((s) => s.connected);
  return dockerUnavailableReason(vm, connected);
}

export function DockerUnavailable({ reason }: { reason: string }) {
  return (
    <p className="empty" data-testid="docker-unavailable">
      {reason} {reason.includes('Dashboard') ? <a href="#/dashboard">Go to the Dashboard</a> : null}
    </p>
  );
}
