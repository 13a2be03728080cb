// Owns: the container-exec terminal — `docker exec -it` through dockerode on Berth's docker socket
// (TTY, resize, exit code from exec inspect); Docker cannot signal or end an exec, so the agent kills it.
import type { Duplex } from 'node:stream';
import type Docker from 'dockerode';
import { SessionEvents, TerminalFailure, type SessionEnd, type TerminalSession, type TerminalSignal } from './terminalSession.ts';

/** Send a signal to a process group in the VM (pids of the VM, as Docker reports them). */
export type GuestGroupKill = (pgid: number, signal: 'HUP' | 'INT' | 'TERM' | 'KILL') => Promise<void>;

export type ContainerExecRequest = { id: string; argv?: string[]; cols: number; rows: number };

/** How long the exec has after SIGHUP before SIGKILL; how long its end may take to show in inspect. */
const HANGUP_GRACE_MS = 2000;
const EXIT_SETTLE_MS = 3000;
/** Docker refuses a resize until the exec's process runs: the first size is retried (as the docker CLI does). */
const START_RESIZE_TRIES = 25;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

function statusOf(e: unknown): number | undefined {
  const s = (e as { statusCode?: unknown }).statusCode;
  return typeof s === 'number' ? s : undefined;
}

/** A Docker failure said for a terminal: which container, what happened, what to do. */
export function dockerFailure(e: unknown, id: string, dockerSocket: string): TerminalFailure {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT' || code === 'ECONNREFUSED') return new TerminalFailure('docker-unavailable', `Docker is not answering on ${dockerSocket}`, 'start the VM (`berth start`), then open the terminal again');
  const status = statusOf(e);
  const said = (e as { json?: { message?: unknown } }).json?.message;
  const message = typeof said === 'string' ? said : (e as Error).message;
  if (status === 404) return new TerminalFailure('no-such-container', `there is no container "${id}"`, 'check the name with `docker ps -a`, or pick the container from the list again');
  if (status === 409) return new TerminalFailure('container-not-running', `container ${id} cannot run a command: ${message}`, `start or unpause it (\`docker start ${id}\`), then open the terminal again`);
  return new TerminalFailure('exec-failed', `could not open a terminal in container ${id}: ${message}`, 'see the container\'s state with `docker ps -a`; if Docker is stuck, restart the VM');
}

/** Open `docker exec -it` in a running container; rejects with a TerminalFailure. */
export async function openContainerExec(docker: Docker, dockerSocket: string, kill: GuestGroupKill, req: ContainerExecRequest): Promise<ContainerExecSession> {
  const container = docker.getContainer(req.id);
  try {
    const info = await container.inspect();
    const name = info.Name.replace(/^\//, '') || req.id;
    if (info.State.Paused) throw new TerminalFailure('container-paused', `container ${name} is paused`, `unpause it (\`docker unpause ${name}\`), then open the terminal again`);
    if (!info.State.Running) throw new TerminalFailure('container-not-running', `container ${name} is not running (${info.State.Status})`, `start it (\`docker start ${name}\`), then open the terminal again`);
    const argv = req.argv ?? [await pickShell(container)];
    const exec = await container.exec({ Cmd: argv, AttachStdin: true, AttachStdout: true, AttachStderr: true, Tty: true, Env: ['TERM=xterm-256color'] });
    const stream = (await exec.start({ hijack: true, stdin: true, Detach: false, Tty: true })) as Duplex;
    const session = new ContainerExecSession(exec, stream, kill, `${name}: ${argv.join(' ')}`, { cols: req.cols, rows: req.rows });
    // Ready only once the pty has its size: input typed at once must not run at 0×0.
    await session.sizeOnStart();
    return session;
  } catch (e) {
    throw e instanceof TerminalFailure ? e : dockerFailure(e, req.id, dockerSocket);
  }
}

/** /bin/bash when the container has it (a stat through the archive API, no process), else /bin/sh. */
async function pickShell(container: Docker.Container): Promise<string> {
  try {
    await container.infoArchive({ path: '/bin/bash' });
    return '/bin/bash';
  } catch {
    return '/bin/sh';
  }
}

export class ContainerExecSession implements TerminalSession {
  readonly kind = 'container' as const;
  private readonly events = new SessionEvents();
  private pid: Promise<number | undefined> | undefined;
  private closing: Promise<void> | undefined;
  /** Until the first size is in place, resize() only records the latest one. */
  private sized = false;

  constructor(
    private readonly exec: Docker.Exec,
    private readonly stream: Duplex,
    private readonly kill: GuestGroupKill,
    readonly title: string,
    private size: { cols: number; rows: number },
  ) {
    stream.on('data', (d: Buffer) => this.events.data(d));
    stream.on('error', () => undefined); // the end is reported from exec inspect below
    stream.once('close', () => void this.reportExit());
  }

  write(data: Buffer): void {
    if (!this.events.ended) this.stream.write(data);
  }

  resize(cols: number, rows: number): void {
    this.size = { cols, rows };
    if (this.sized && !this.events.ended) this.exec.resize({ h: rows, w: cols }).catch(() => undefined); // fails only once the process is gone
  }

  /** Give the pty its first size as soon as Docker takes it (a TTY exec starts at 0×0). */
  async sizeOnStart(): Promise<void> {
    for (let i = 0; i < START_RESIZE_TRIES && !this.events.ended; i++) {
      const size = this.size;
      try {
        await this.exec.resize({ h: size.rows, w: size.cols });
        this.sized = true;
        // A resize asked for meanwhile: apply the latest.
        if (this.size !== size) this.resize(this.size.cols, this.size.rows);
        return;
      } catch {
        await sleep(Math.min(20 * (i + 1), 200));
      }
    }
    this.sized = true;
  }

  /** SIGINT is the tty's Ctrl-C byte (it reaches the foreground job); others go to the exec's group in the VM. */
  signal(signal: TerminalSignal): void {
    if (this.events.ended) return;
    if (signal === 'SIGINT') this.stream.write('\x03');
    else void this.killGroup(signal.slice(3) as 'HUP' | 'TERM' | 'KILL');
  }

  pause(): void {
    this.stream.pause();
  }

  resume(): void {
    this.stream.resume();
  }

  onData(listener: (data: Buffer) => void): void {
    this.events.onData(listener);
  }

  onExit(listener: (end: SessionEnd) => void): void {
    this.events.onExit(listener);
  }

  close(): Promise<void> {
    this.closing ??= this.hangUp();
    return this.closing;
  }

  private processId(): Promise<number | undefined> {
    this.pid ??= this.exec.inspect().then(
      (i) => (i.Pid > 0 ? i.Pid : undefined),
      () => undefined,
    );
    return this.pid;
  }

  private async killGroup(signal: 'HUP' | 'INT' | 'TERM' | 'KILL'): Promise<void> {
    const pid = await this.processId();
    if (pid) await this.kill(pid, signal).catch(() => undefined);
  }

  private async running(): Promise<boolean> {
    return this.exec.inspect().then(
      (i) => i.Running,
      () => false,
    );
  }

  /** Docker keeps an exec running when its client leaves: hang it up in the VM, then kill what is left. */
  private async hangUp(): Promise<void> {
    this.events.end('silent');
    if (await this.running()) {
      await this.killGroup('HUP');
      for (let waited = 0; waited < HANGUP_GRACE_MS && (await this.running()); waited += 200) await sleep(200);
      if (await this.running()) await this.killGroup('KILL');
    }
    this.stream.destroy();
  }

  private async reportExit(): Promise<void> {
    if (this.events.ended) return;
    // The stream ends as the process does; inspect may say Running for a moment longer.
    for (let waited = 0; waited <= EXIT_SETTLE_MS; waited += 100) {
      let info: Docker.ExecInspectInfo;
      try {
        info = await this.exec.inspect();
      } catch (e) {
        this.events.end({ type: 'failure', failure: new TerminalFailure('exec-lost', `the terminal's process could not be looked up: ${(e as Error).message}`, 'open a new terminal; if Docker stopped, start the VM again') });
        return;
      }
      if (!info.Running && info.ExitCode !== null) {
        this.events.end({ type: 'exit', code: info.ExitCode });
        return;
      }
      await sleep(100);
    }
    this.events.end({ type: 'failure', failure: new TerminalFailure('exec-lost', 'the connection to the container closed while its process still runs', 'open a new terminal; the old process is being ended') });
    void this.close();
  }
}
