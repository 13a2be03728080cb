// Where berthd keeps things under $BERTH_HOME, and where its unix sockets go when the home path is
// too long for one (sun_path holds 107 bytes on Linux, 103 on macOS: T-23).
import { createHash } from 'node:crypto';
import { chmodSync, lstatSync, mkdirSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { hostEndpoints } from './control/hostEndpoints.ts';
import { readOrCreatePipeKey } from './control/pipeKeyFile.ts';

export const SOCKET_PATH_MAX = process.platform === 'darwin' ? 103 : 107;

export type BerthPaths = {
  home: string;
  runDir: string;
  socketDir: string;
  /** berthd's control API: a unix socket, or a named pipe on Windows. */
  controlSocket: string;
  /** Docker for clients: a unix socket, or \\.\pipe\berth_docker on Windows. */
  dockerSocket: string;
  qmpSocket: string;
  guestLinkSocket: string;
  lockFile: string;
  qemuPidFile: string;
  /** QEMU's stderr (a file, not a pipe: QEMU must outlive a killed berthd). */
  qemuStderrLog: string;
  /** The running VM's record (pid, acceleration, start time), for re-adoption by the next berthd. */
  vmRecord: string;
  settingsFile: string;
  logsDir: string;
  consoleLog: string;
  berthdLog: string;
  vmDir: string;
  dataDisk: string;
  configDisk: string;
};

export function berthHome(env: NodeJS.ProcessEnv = process.env): string {
  return env.BERTH_HOME && env.BERTH_HOME.length > 0 ? env.BERTH_HOME : join(homedir(), '.berth');
}

/** The socket directory: $BERTH_HOME/run, or a short private dir in the temp dir when that is too long. */
export function socketDirFor(home: string, uid = process.getuid?.() ?? 0): string {
  const run = join(home, 'run');
  const longest = join(run, 'guest-link.sock');
  if (Buffer.byteLength(longest) <= SOCKET_PATH_MAX) return run;
  const tag = createHash('sha256').update(home).digest('hex').slice(0, 10);
  return join(tmpdir(), `berth-${uid}-${tag}`);
}

/** `platform` picks the endpoints (hostEndpoints.ts): on win32 `controlSocket` and `dockerSocket` are named pipes. */
export function berthPaths(home = berthHome(), platform: NodeJS.Platform = process.platform): BerthPaths {
  const runDir = join(home, 'run');
  const socketDir = socketDirFor(home);
  const endpoints = hostEndpoints({ platform, home, socketDir, ...(platform === 'win32' ? { pipeKey: readOrCreatePipeKey(runDir) } : {}) });
  const logsDir = join(home, 'logs');
  const vmDir = join(home, 'vm');
  return {
    home,
    runDir,
    socketDir,
    controlSocket: endpoints.control,
    dockerSocket: endpoints.docker,
    qmpSocket: join(socketDir, 'qmp.sock'),
    guestLinkSocket: join(socketDir, 'guest-link.sock'),
    lockFile: join(runDir, 'berthd.lock'),
    qemuPidFile: join(runDir, 'qemu.pid'),
    qemuStderrLog: join(runDir, 'qemu-stderr.log'),
    vmRecord: join(runDir, 'vm.json'),
    settingsFile: join(home, 'settings.json'),
    logsDir,
    consoleLog: join(logsDir, 'console.log'),
    berthdLog: join(logsDir, 'berthd.log'),
    vmDir,
    dataDisk: join(vmDir, 'data.qcow2'),
    configDisk: join(vmDir, 'config.tar'),
  };
}

/** Create a directory only this user can enter (0700), refusing one that is a symlink or not ours. */
export function privateDir(path: string): void {
  // lstat first: mkdir would fail on a file or a dangling symlink with a bare EEXIST / ENOENT.
  const before = lstatSync(path, { throwIfNoEntry: false });
  if (before && !before.isDirectory()) throw new Error(`${path} exists and is not a directory; remove it and start again`);
  mkdirSync(path, { recursive: true, mode: 0o700 });
  const st = lstatSync(path);
  if (!st.isDirectory()) throw new Error(`${path} exists and is not a directory; remove it and start again`);
  const uid = process.getuid?.();
  if (uid !== undefined && st.uid !== uid) throw new Error(`${path} belongs to another user (uid ${st.uid}); Berth will not put its sockets there`);
  chmodSync(path, 0o700);
}

export function ensureLayout(p: BerthPaths): void {
  for (const d of [p.home, p.runDir, p.socketDir, p.logsDir, p.vmDir]) privateDir(d);
}
