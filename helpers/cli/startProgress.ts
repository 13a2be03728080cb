// Pure rendering of the start progress line ("berth: booting … 12.3s") from the VM state, and the
// closing lines that tell the user how to point docker at Berth.
import type { Status, VmState } from '../api/vmState.ts';
import { dockerHostShellLine } from '../berthd/control/hostEndpoints.ts';

export function progressLine(vm: VmState, elapsedMs: number): string {
  const t = `${(elapsedMs / 1000).toFixed(1)}s`;
  switch (vm.state) {
    case 'starting':
      return `berth: ${vm.phase} … ${t}`;
    case 'running':
      return `berth: running (${t})`;
    case 'stopping':
      return `berth: stopping … ${t}`;
    case 'stopped':
      return `berth: stopped (${t})`;
    case 'error':
      return `berth: error: ${vm.reason}`;
  }
}

export function readyLines(s: Status, elapsedMs: number): string[] {
  const engine = s.dockerVersion ? `Docker ${s.dockerVersion}` : 'Docker';
  const lines = [`berth: ${engine} is ready (${(elapsedMs / 1000).toFixed(1)} s, acceleration ${s.accel?.accel ?? '?'}).`];
  if (s.dockerContext) lines.push(`Use it from this shell with:   docker context use ${s.dockerContext}`);
  lines.push(`or for one shell:              ${dockerHostShellLine(s.dockerSocket)}`);
  return lines;
}
