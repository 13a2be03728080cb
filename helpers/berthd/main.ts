// berthd: the engine daemon. One per $BERTH_HOME; owns the VM, serves the control API on
// berth.sock and Docker on docker.sock (named pipes on Windows: control/hostEndpoints.ts). Started
// detached by `berth start`, logs to stdout.
import type { Duplex } from 'node:stream';
import type { ApiEvent } from '../api/controlApi.ts';
import { TERMINAL_PATH, TERMINAL_PROTOCOL } from '../api/terminal.ts';
import type { Status } from '../api/vmState.ts';
import { ControlServer, HttpError } from './control/controlServer.ts';
import { dockerHandlers } from './control/dockerHandlers.ts';
import { maintenanceHandlers } from './control/maintenanceHandlers.ts';
import { pipeKeyPath, replacePipeKey } from './control/pipeKeyFile.ts';
import { settingsHandlers } from './control/settingsHandlers.ts';
import { acquireDaemonLock, DaemonRunningError } from './daemonLock.ts';
import { PipeInUseError } from './forward/pipeListen.ts';
import { spliceStreams } from './forward/spliceStreams.ts';
import { berthPaths, ensureLayout } from './paths.ts';
import { SettingsService } from './settings/settingsService.ts';
import { TerminalService } from './terminal/terminalService.ts';
import { StartFailure, VmManager } from './vm/vmManager.ts';

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

const settings = new SettingsService(paths.settingsFile, paths.dataDisk, log);
const manager = new VmManager(paths, settings, log);
const terminals = new TerminalService({ dockerSocket: paths.dockerSocket, vmRunning: () => manager.state.state === 'running', openGuestStream: (t) => manager.openGuestStream(t), log });

function status(): Status {
  const s = manager.state;
  const applied = manager.applied;
  const pending = settings.pendingFor(applied);
  return {
    state: s.state,
    vm: s,
    ...(manager.qemu?.running && manager.qemu.pid ? { pid: manager.qemu.pid } : {}),
    ...(manager.accel && s.state !== 'stopped' ? { accel: manager.accel } : {}),
    ...(s.state === 'running' && manager.startedAt ? { uptimeSeconds: Math.round((Date.now() - manager.startedAt) / 1000), dockerVersion: manager.dockerVersion } : {}),
    dockerSocket: paths.dockerSocket,
    ...(manager.dockerContext ? { dockerContext: manager.dockerContext } : {}),
    berthdPid: process.pid,
    berthHome: paths.home,
    ...(applied && s.state === 'running' ? { resources: { cpus: applied.cpus, memoryBytes: applied.memory, diskBytes: applied.disk } } : {}),
    ...(pending.length > 0 ? { restartPending: pending } : {}),
    ...(s.state === 'running' ? { adopted: manager.adopted } : {}),
    settings: settings.health(),
    ...(manager.health.clock && s.state === 'running' ? { clock: manager.health.clock } : {}),
    ...(manager.shares && s.state === 'running' ? { shares: manager.shares } : {}),
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

async function restart(timeoutSeconds: number): Promise<Status> {
  await manager.stop(timeoutSeconds);
  return start();
}

let exiting = false;
async function shutdown(reason: string): Promise<void> {
  if (exiting) return;
  exiting = true;
  log(`berthd stopping (${reason})`);
  await terminals.close();
  await manager.stop(20).catch((e: Error) => log(`stop failed: ${e.message}`));
  await manager.ports.close();
  await control.close();
  release();
  process.exit(0);
}

/** POST /v1/exec, upgraded: the connection becomes an `exec` stream to the agent (docs/protocol.md). */
function execUpgrade(_query: URLSearchParams, socket: Duplex, head: Buffer): void {
  let stream: Duplex;
  try {
    stream = manager.openGuestStream('exec');
  } catch (e) {
    const body = JSON.stringify({ code: 'not-running', message: (e as Error).message, hint: 'start the VM with `berth start`' });
    socket.end(`HTTP/1.1 409 Conflict\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
    return;
  }
  socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: berth-exec\r\n\r\n');
  if (head.length > 0) stream.write(head);
  spliceStreams(socket, stream, log, 'exec');
}

const docker = dockerHandlers({ paths, manager, publish: (e) => publishers.forEach((p) => p(e)), log });
const control = new ControlServer(
  paths.controlSocket,
  {
    status: async () => status(),
    start,
    stop: async (body) => manager.stop((body as { timeoutSeconds: number }).timeoutSeconds),
    restart: async (body) => restart((body as { timeoutSeconds: number }).timeoutSeconds),
    ...settingsHandlers(settings, manager, restart),
    ...maintenanceHandlers(paths, settings, manager),
    ports: async () => ({ forwards: manager.ports.list() }),
    ...docker.routes,
    shutdownDaemon: async () => {
      setTimeout(() => void shutdown('asked by a client'), 50);
      return {};
    },
  },
  (): ApiEvent[] => [{ type: 'state', vm: manager.state }, ...docker.initialEvents()],
  { '/v1/exec': execUpgrade },
);
control.serveWebSocket(TERMINAL_PATH, TERMINAL_PROTOCOL, (ws, query) => terminals.serve(ws, query));
control.serveStreams(docker.streams);
publishers.push((e) => control.publish(e));
manager.on('state', (vm) => terminals.vmStateChanged(vm));
manager.on('state', (vm) => control.publish({ type: 'state', vm }));
manager.ports.on('change', (forwards) => control.publish({ type: 'ports', forwards }));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGHUP', () => void shutdown('SIGHUP'));
try {
  await control.listen();
} catch (e) {
  // We hold the daemon lock, so no berthd of this home holds the control pipe: someone took its name.
  // A new key (run/pipe.key) gives the next start a name nobody has seen.
  let newName = '';
  if (e instanceof PipeInUseError) {
    try {
      replacePipeKey(paths.runDir);
      newName = ' Berth has picked a new control pipe name: run `berth start` again.';
    } catch (k) {
      newName = ` Berth could not pick a new pipe name (${(k as Error).message}); delete ${pipeKeyPath(paths.runDir)} and start again.`;
    }
  }
  log(`cannot serve the control API on ${paths.controlSocket}: ${(e as Error).message}${newName}`);
  release();
  process.exit(1);
}
log(`berthd ${process.pid} serving ${paths.controlSocket}`);
void manager.adoptIfRunning();
