// berthd: the engine daemon. One per $BERTH_HOME; owns the VM, serves the control API on
// berth.sock and Docker on docker.sock. Started detached by `berth start`, logs to stdout.
import type { ApiEvent } from '../api/controlApi.ts';
import type { Status } from '../api/vmState.ts';
import { ControlServer, HttpError } from './control/controlServer.ts';
import { acquireDaemonLock, DaemonRunningError } from './daemonLock.ts';
import { berthPaths, ensureLayout } from './paths.ts';
import { defaultVmSettings, StartFailure, VmManager } from './vm/vmManager.ts';

const paths = berthPaths();
const publishers: ((e: ApiEvent) => void)[] = [];
const log = (m: string): void => {
  process.stdout.write(`${new Date().toISOString()} ${m}\n`);
  for (const p of publishers) p({ type: 'log', source: 'berthd', line: m });
};

ensureLayout(paths);
let release: () => void;
try {
  release = acquireDaemonLock(paths.lockFile, log);
} catch (e) {
  if (e instanceof DaemonRunningError) {
    log(e.message);
    process.exit(3);
  }
  throw e;
}

const manager = new VmManager(paths, defaultVmSettings(), log);

function status(): Status {
  const s = manager.state;
  return {
    state: s.state,
    vm: s,
    ...(manager.qemu?.running && manager.qemu.pid ? { pid: manager.qemu.pid } : {}),
    ...(manager.accel && s.state !== 'stopped' ? { accel: manager.accel } : {}),
    ...(s.state === 'running' ? { uptimeSeconds: Math.round((Date.now() - s.since) / 1000), dockerVersion: manager.dockerVersion } : {}),
    dockerSocket: paths.dockerSocket,
    ...(manager.dockerContext ? { dockerContext: manager.dockerContext } : {}),
    berthdPid: process.pid,
    berthHome: paths.home,
  };
}

async function start(): Promise<Status> {
  try {
    await manager.start();
  } catch (e) {
    throw new HttpError(500, { code: 'start-failed', message: (e as Error).message, hint: e instanceof StartFailure ? e.hint : `see ${paths.berthdLog}` });
  }
  const s = manager.state;
  if (s.state === 'error') throw new HttpError(500, { code: 'start-failed', message: s.reason, hint: s.hint });
  if (s.state !== 'running') throw new HttpError(409, { code: 'start-cancelled', message: `the start ended in state ${s.state}`, hint: 'a stop was asked for while starting' });
  return status();
}

let exiting = false;
async function shutdown(reason: string): Promise<void> {
  if (exiting) return;
  exiting = true;
  log(`berthd stopping (${reason})`);
  await manager.stop(20).catch((e: Error) => log(`stop failed: ${e.message}`));
  await control.close();
  release();
  process.exit(0);
}

const control = new ControlServer(
  paths.controlSocket,
  {
    status: async () => status(),
    start,
    stop: async (body) => manager.stop((body as { timeoutSeconds: number }).timeoutSeconds),
    restart: async (body) => {
      await manager.stop((body as { timeoutSeconds: number }).timeoutSeconds);
      return start();
    },
    shutdownDaemon: async () => {
      setTimeout(() => void shutdown('asked by a client'), 50);
      return {};
    },
  },
  (): ApiEvent[] => [{ type: 'state', vm: manager.state }],
);
publishers.push((e) => control.publish(e));
manager.on('state', (vm) => control.publish({ type: 'state', vm }));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGHUP', () => void shutdown('SIGHUP'));
try {
  await control.listen();
} catch (e) {
  log(`cannot serve the control API on ${paths.controlSocket}: ${(e as Error).message}`);
  release();
  process.exit(1);
}
log(`berthd ${process.pid} serving ${paths.controlSocket}`);
