// Runs the real Go berth-agent on this machine for the guest-link interop suites: built once with
// Debian's Go, served on a unix socket (`serve -unix`), with a host LinkSession connected to it.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { LinkSession } from '../../helpers/berthd/guest/linkSession.ts';
import { buildGoForTest } from '../../helpers/berthd/host/goTestBuild.ts';

export type RunningAgent = { agent: ChildProcess; socket: Socket; session: LinkSession };

/** Build berth-agent (static, offline) to `out`. */
export function buildAgent(out: string): void {
  buildGoForTest('vm-images/agent', out);
}

/** Start the agent on `linkSock` (dialing `dockerSock` for docker streams) and wait for its HELLO. */
export async function startAgent(agentBin: string, linkSock: string, dockerSock: string): Promise<RunningAgent> {
  rmSync(linkSock, { force: true });
  const agent = spawn(agentBin, ['serve', '-unix', linkSock, '-docker', dockerSock], { stdio: ['ignore', 'inherit', 'inherit'] });
  for (let i = 0; i < 100 && !existsSync(linkSock); i++) await new Promise((r) => setTimeout(r, 50));
  const socket = await new Promise<Socket>((resolve, reject) => {
    const s = connect(linkSock, () => resolve(s));
    s.once('error', reject);
  });
  const session = new LinkSession(socket, { pingIntervalMs: 500, livenessTimeoutMs: 3000 });
  const hello = new Promise((r) => session.once('hello', r));
  session.start();
  await hello;
  return { agent, socket, session };
}
