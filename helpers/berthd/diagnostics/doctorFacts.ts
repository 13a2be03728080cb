// Owns: gathering `berth doctor`'s facts on this host (program versions with timeouts, lstat of the sockets
// and /dev/kvm, the docker CLI's config, free disk space). It reads only; settings and VM state come from the caller.
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { lstatSync, readdirSync, readFileSync, realpathSync, statfsSync, statSync, type Stats } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import type { DoctorReport } from '../../api/diagnostics.ts';
import type { Settings } from '../../api/settings.ts';
import type { VmState } from '../../api/vmState.ts';
import { dockerHostUrl, isNamedPipe } from '../control/hostEndpoints.ts';
import type { AccelSetting } from '../hypervisors/accelChoice.ts';
import type { HypervFacts } from '../hypervisors/driverDoctor.ts';
import { hostFactsScript } from '../hypervisors/hypervScripts.ts';
import { powershellRunner, type PowerShellRun } from '../hypervisors/powershellRunner.ts';
import { DOCKER_ENGINE_PIPE } from '../hypervisors/windowsDockerPipe.ts';
import { kvmUsable, readHostFacts } from '../hypervisors/hostFacts.ts';
import { SOCKET_PATH_MAX, type BerthPaths } from '../paths.ts';
import { doctor, type DoctorFacts, type DoctorSettingsFact, type PathFact, type PipeFact, type ToolFact } from './doctorChecks.ts';

const execFileAsync = promisify(execFile);

export type DoctorInputs = {
  /** loadSettings' result as berthd holds it (doctor never loads or writes settings itself). */
  settings?: DoctorSettingsFact & { settings?: Settings };
  /** Guest minus host clock in seconds, from berthd; undefined when the VM is not running. */
  guestClockDriftSeconds?: number;
  /** berthd's VM state; undefined when berthd is not running. */
  vm?: VmState;
  /** The acceleration setting; defaults to settings.accel, then 'auto'. */
  accelSetting?: AccelSetting;
  /** The environment whose DOCKER_HOST, DOCKER_CONTEXT and DOCKER_CONFIG count: the user's shell's, ideally. */
  env?: NodeJS.ProcessEnv;
  /** Program names (tests point these at missing programs). */
  commands?: { qemu?: string; qemuImg?: string; docker?: string; hyperkit?: string };
  /** The host's OS and CPU for the hypervisor check (default: this process's); tests set them. */
  platform?: NodeJS.Platform;
  arch?: string;
  /** How PowerShell is run on Windows (tests pass a fake). */
  powershell?: PowerShellRun;
  /** Where another engine's socket would be; /var/run/docker.sock (\\.\pipe\docker_engine on Windows). */
  defaultDockerSocket?: string;
  /** The names of this machine's named pipes (default: a listing of \\.\pipe\, Windows only; tests elsewhere pass one). */
  listPipes?: () => string[];
  /** Per program; 10 s. */
  timeoutMs?: number;
};

export const DEFAULT_DOCKER_SOCKET = '/var/run/docker.sock';

/** The first line `<cmd> --version` prints, `missing` when it is not on PATH, `broken` when it fails or hangs. */
export async function toolVersion(cmd: string, env: NodeJS.ProcessEnv, timeoutMs: number, args: string[] = ['--version']): Promise<ToolFact> {
  try {
    const { stdout, stderr } = await execFileAsync(cmd, args, { env, timeout: timeoutMs, windowsHide: true, maxBuffer: 64 * 1024 });
    const line = `${stdout}\n${stderr}`.split('\n').map((l) => l.trim()).find((l) => l !== '');
    return { state: 'ok', version: line ?? '(printed no version)' };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { killed?: boolean; signal?: string };
    if (err.code === 'ENOENT') return { state: 'missing' };
    if (err.killed) return { state: 'broken', error: `no answer within ${timeoutMs / 1000} s` };
    return { state: 'broken', error: (err.message ?? String(e)).split('\n')[0] ?? 'failed' };
  }
}

function describeStats(st: Stats): PathFact {
  const type = st.isSymbolicLink() ? 'symlink' : st.isSocket() ? 'socket' : st.isDirectory() ? 'directory' : st.isFile() ? 'file' : 'other';
  return { type, mode: st.mode & 0o777, uid: st.uid, gid: st.gid };
}

/** lstat (or stat, with follow) of `path` as a PathFact; never throws. */
export function pathFact(path: string, follow = false): PathFact {
  try {
    const st = follow ? statSync(path, { throwIfNoEntry: false }) : lstatSync(path, { throwIfNoEntry: false });
    return st ? describeStats(st) : { type: 'missing' };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return { type: 'missing' };
    return { type: 'unreadable', error: err.code ?? err.message };
  }
}

const listPipeDir = (): string[] => readdirSync('\\\\.\\pipe\\');

/** Whether a named pipe exists, from the pipe list: a pipe is never stat'ed (that would open it, taking a client slot). */
export function pipeFact(path: string, listPipes: () => string[] = listPipeDir): PipeFact {
  const name = path.replace(/^\\\\[.?]\\pipe\\/i, '').toLowerCase();
  try {
    return { kind: 'pipe', path, listed: listPipes().some((n) => n.toLowerCase() === name) };
  } catch (e) {
    return { kind: 'pipe', path, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

type DockerConfigFact = DoctorFacts['docker']['config'] & { berthContextHost?: string };

/** The docker CLI's config.json `currentContext` and the `berth` context's endpoint (contexts/meta/<sha256(name)>/meta.json). */
export function readDockerConfig(env: NodeJS.ProcessEnv): DockerConfigFact {
  const dir = env.DOCKER_CONFIG && env.DOCKER_CONFIG !== '' ? env.DOCKER_CONFIG : join(env.HOME && env.HOME !== '' ? env.HOME : homedir(), '.docker');
  const path = join(dir, 'config.json');
  const out: DockerConfigFact = { path };
  try {
    const meta = JSON.parse(readFileSync(join(dir, 'contexts', 'meta', createHash('sha256').update('berth').digest('hex'), 'meta.json'), 'utf8')) as {
      Endpoints?: { docker?: { Host?: unknown } };
    };
    const host = meta.Endpoints?.docker?.Host;
    if (typeof host === 'string') out.berthContextHost = host;
  } catch {
    /* no berth context (or an unreadable one): the context check says so */
  }
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code !== 'ENOENT') out.error = err.code ?? err.message;
    return out;
  }
  try {
    const config = JSON.parse(text) as { currentContext?: unknown };
    if (typeof config.currentContext === 'string' && config.currentContext !== '') out.currentContext = config.currentContext;
  } catch (e) {
    out.error = `not valid JSON: ${(e as Error).message}`;
  }
  return out;
}

/** Free space on the file system of `path` (or of its nearest existing parent, before the first start). */
export function diskFact(path: string): DoctorFacts['disk'] {
  let at = path;
  while (lstatSync(at, { throwIfNoEntry: false }) === undefined && dirname(at) !== at) at = dirname(at);
  try {
    const fs = statfsSync(at);
    return { path: at, freeBytes: fs.bavail * fs.bsize, totalBytes: fs.blocks * fs.bsize };
  } catch (e) {
    return { path: at, error: (e as NodeJS.ErrnoException).code ?? (e as Error).message };
  }
}

/** What the macOS or Windows hypervisor looks like here; nothing on Linux (QEMU is the only driver). */
export async function hypervisorFact(inputs: DoctorInputs, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<DoctorFacts['hypervisor']> {
  const platform = inputs.platform ?? process.platform;
  const arch = inputs.arch ?? process.arch;
  if (platform === 'darwin') {
    // HyperKit prints its version for -v; on Apple Silicon it cannot run at all, so it is not asked.
    const hyperkit: ToolFact = arch === 'arm64' ? { state: 'missing' } : await toolVersion(inputs.commands?.hyperkit ?? 'hyperkit', env, timeoutMs, ['-v']);
    return { hyperkit: { arch, hyperkit } };
  }
  if (platform === 'win32') {
    try {
      return { hyperv: (await (inputs.powershell ?? powershellRunner('powershell.exe', { timeoutMs }))(hostFactsScript())) as HypervFacts };
    } catch (e) {
      return { hypervError: (e as Error).message };
    }
  }
  return undefined;
}

const nonEmpty = (v: string | undefined): string | undefined => (v === undefined || v === '' ? undefined : v);

export async function gatherDoctorFacts(paths: BerthPaths, inputs: DoctorInputs = {}): Promise<DoctorFacts> {
  const env = inputs.env ?? process.env;
  const timeout = inputs.timeoutMs ?? 10_000;
  const cmd = { qemu: 'qemu-system-x86_64', qemuImg: 'qemu-img', docker: 'docker', ...inputs.commands };
  const [qemu, qemuImg, cli, hypervisor] = await Promise.all([toolVersion(cmd.qemu, env, timeout), toolVersion(cmd.qemuImg, env, timeout), toolVersion(cmd.docker, env, timeout), hypervisorFact(inputs, env, timeout)]);
  const linux = process.platform === 'linux';
  const platform = inputs.platform ?? process.platform;
  const defaultSocket = inputs.defaultDockerSocket ?? (platform === 'win32' ? DOCKER_ENGINE_PIPE : DEFAULT_DOCKER_SOCKET);
  const defaultSocketFact = endpointFact(defaultSocket, inputs.listPipes);
  const { berthContextHost, ...config } = readDockerConfig(env);
  const socketDir = dirname(paths.dockerSocket);
  const settings = inputs.settings;
  return {
    platform,
    uid: process.getuid?.(),
    home: paths.home,
    qemu,
    qemuImg,
    kvm: {
      device: linux ? pathFact('/dev/kvm', true) : { type: 'missing' },
      accessible: linux && kvmUsable(),
      knownHanging: readHostFacts(join(paths.runDir, 'accel-probe.json')).kvmKnownHanging,
    },
    accelSetting: inputs.accelSetting ?? settings?.settings?.accel ?? 'auto',
    // Windows: a named pipe (hostEndpoints.ts), found in the pipe list; no socket file, folder or mode to stat.
    socket: isNamedPipe(paths.dockerSocket)
      ? pipeFact(paths.dockerSocket, inputs.listPipes)
      : { path: paths.dockerSocket, pathBytes: Buffer.byteLength(paths.dockerSocket), maxBytes: SOCKET_PATH_MAX, file: pathFact(paths.dockerSocket), dir: socketDir, dirFact: pathFact(socketDir) },
    docker: {
      cli,
      defaultSocket,
      defaultSocketFact,
      defaultSocketIsBerth: defaultSocketFact.type !== 'missing' && (isNamedPipe(defaultSocket) ? defaultSocket.toLowerCase() === paths.dockerSocket.toLowerCase() : sameFile(defaultSocket, paths.dockerSocket)),
      berthHost: dockerHostUrl(paths.dockerSocket),
      ...(nonEmpty(env.DOCKER_HOST) ? { dockerHost: env.DOCKER_HOST } : {}),
      ...(nonEmpty(env.DOCKER_CONTEXT) ? { dockerContextEnv: env.DOCKER_CONTEXT } : {}),
      config,
      ...(berthContextHost !== undefined ? { berthContextHost } : {}),
    },
    disk: diskFact(paths.home),
    ...(inputs.guestClockDriftSeconds !== undefined ? { guestClockDriftSeconds: inputs.guestClockDriftSeconds } : {}),
    ...(settings ? { settings: summariseSettings(settings) } : {}),
    ...(inputs.vm ? { vm: inputs.vm } : {}),
    ...(hypervisor ? { hypervisor } : {}),
  };
}

/** Another engine's endpoint: a pipe from the pipe list (`pipe` when listed), else an lstat. */
function endpointFact(path: string, listPipes: (() => string[]) | undefined): PathFact {
  if (!isNamedPipe(path)) return pathFact(path);
  const p = pipeFact(path, listPipes);
  if ('error' in p) return { type: 'unreadable', error: p.error };
  return p.listed ? { type: 'pipe' } : { type: 'missing' };
}

function summariseSettings(s: DoctorSettingsFact): DoctorSettingsFact {
  const { status, notes, unknownKeys, reason, badFile, recoveredFrom, futureVersion } = s;
  return { status, notes, ...(unknownKeys ? { unknownKeys } : {}), ...(reason ? { reason } : {}), ...(badFile ? { badFile } : {}), ...(recoveredFrom ? { recoveredFrom } : {}), ...(futureVersion !== undefined ? { futureVersion } : {}) };
}

/** Gather the facts and judge them: what the control API's doctor route returns. */
export async function runDoctor(paths: BerthPaths, inputs: DoctorInputs = {}): Promise<DoctorReport> {
  return doctor(await gatherDoctorFacts(paths, inputs));
}
