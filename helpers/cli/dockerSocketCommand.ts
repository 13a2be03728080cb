// Owns: `berth docker-socket --system [--remove]` — the user's explicit consent to point
// /var/run/docker.sock at Berth's socket (never over another engine's), and undoing it.
import type { Command } from 'commander';
import type { BerthPaths } from '../berthd/paths.ts';
import { applySystemSocket, SYSTEM_DOCKER_SOCKET } from '../berthd/hypervisors/systemDockerSocket.ts';

export function registerDockerSocketCommand(program: Command, paths: BerthPaths): void {
  program
    .command('docker-socket')
    .description(`point ${SYSTEM_DOCKER_SOCKET} at Berth's Docker socket (only where nothing else is), or --remove that link`)
    .requiredOption('--system', `act on ${SYSTEM_DOCKER_SOCKET} (say it explicitly: it is a system-wide path)`)
    .option('--remove', "remove the link, when it is Berth's")
    .option('--target <path>', "Berth's docker.sock (default: this user's; give it when running under sudo)", paths.dockerSocket)
    .action((opts: { remove?: boolean; target: string }) => {
      const action = opts.remove ? 'remove' : 'link';
      const sudoHint = `run: sudo berth docker-socket --system${opts.remove ? ' --remove' : ''} --target '${opts.target.replace(/'/g, "'\\''")}'`;
      const r = applySystemSocket(action, opts.target, { sudoHint });
      if (r.ok) {
        console.log(`berth: ${r.message}`);
        return;
      }
      console.error(`berth: ${r.message}\n  → ${r.hint}`);
      process.exit(1);
    });
}
