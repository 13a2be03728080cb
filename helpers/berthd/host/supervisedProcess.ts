// Owns: one helper process berthd keeps running while the VM runs (hvsock-bridge, T-26): started with its
// argv, ready once a stderr line says so, started again with the same argv when it exits (restartPolicy.ts), ended by PID.
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { killOnExit } from './childReaper.ts';
import { afterExit, DEFAULT_RESTART_POLICY, formatSeconds, type RestartHistory, type RestartPolicy } from './restartPolicy.ts';

export type SupervisedOptions = {
  /** Who it is in logs and in `status`: "hvsock-bridge for \\.\pipe\berth_docker". */
  name: string;
  binary: string;
  argv: string[];
  log: (m: string) => void;
  /** Each line it writes to stderr (default: logged as "<name>: <line>"). */
  onLine?: (line: string) => void;
  /** Whether a stderr line says it serves; without this it is ready once spawned. */
  readyLine?: (line: string) => boolean;
  /** Why it is down (restarting, or given up on), while it is; undefined once it serves again. */
  onTrouble?: (why: string | undefined) => void;
  policy?: RestartPolicy;
  /** How long the first run has to be ready (default 10 s). */
  readyTimeoutMs?: number;
  /** stop(): SIGTERM, then SIGKILL after this (default 2 s). */
  stopGraceMs?: number;
  /**
   * Give it a stdin pipe that berthd never writes nor closes: when berthd ends, even killed, the pipe
   * closes and a helper told to (hvsock-bridge -exit-on-stdin-eof) ends too, leaving nothing behind.
   */
  stdinLifeline?: boolean;
};

export type SupervisedState = 'starting' | 'up' | 'restarting' | 'gave-up' | 'stopped';

type FirstRun = { ready: () => void; failed: (why: string) => void };

export class SupervisedProcess {
  private child: ChildProcess | undefined;
  private history: RestartHistory = { exitsInARow: 0 };
  private timer: NodeJS.Timeout | undefined;
  private readonly policy: RestartPolicy;
  state: SupervisedState = 'starting';
  /** How many times it was started again. */
  restarts = 0;

  constructor(private readonly o: SupervisedOptions) {
    this.policy = o.policy ?? DEFAULT_RESTART_POLICY;
  }

  /** The pid of the run now, if one runs. */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /**
   * Start it; resolves once it is ready. If the first run cannot start, exits, or is not ready in time,
   * it rejects with why (stderr's last line) and nothing is restarted: the caller's start fails instead.
   */
  start(): Promise<void> {
    const timeoutMs = this.o.readyTimeoutMs ?? 10_000;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        first.failed(`${this.o.name} did not say it serves within ${formatSeconds(timeoutMs)}`);
        void this.stop();
      }, timeoutMs);
      let settled = false;
      const first: FirstRun = {
        ready: () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve();
        },
        failed: (why) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.state = 'stopped';
          reject(new Error(why));
        },
      };
      this.run(first);
    });
  }

  private run(first?: FirstRun): void {
    const startedAt = Date.now();
    const child = spawn(this.o.binary, this.o.argv, { stdio: [this.o.stdinLifeline ? 'pipe' : 'ignore', 'ignore', 'pipe'], windowsHide: true });
    child.stdin?.on('error', () => undefined); // the helper gone: nothing is written anyway
    this.child = child;
    killOnExit(child);
    let ready = false;
    let lastLine = '';
    const becameReady = (): void => {
      if (ready || this.child !== child || this.state === 'stopped') return;
      ready = true;
      this.state = 'up';
      if (first) return first.ready();
      this.o.log(`${this.o.name} serves again (pid ${child.pid}, restart ${this.restarts})`);
      this.o.onTrouble?.(undefined);
    };
    if (child.stderr) {
      createInterface({ input: child.stderr, crlfDelay: Infinity }).on('line', (line) => {
        lastLine = line.trim();
        if (this.o.onLine) this.o.onLine(line);
        else this.o.log(`${this.o.name}: ${line}`);
        if (this.o.readyLine?.(line)) becameReady();
      });
    }
    if (!this.o.readyLine) child.once('spawn', becameReady);
    let ended = false;
    const end = (how: string, spawnFailed: boolean): void => {
      if (ended) return;
      ended = true;
      if (this.child === child) this.child = undefined;
      if (this.state === 'stopped') return;
      if (first && !ready) return first.failed(`${this.o.name} ${how}`);
      this.exited(`${this.o.name} ${how}`, { ranMs: Date.now() - startedAt, spawnFailed });
    };
    child.once('error', (e) => {
      if (child.pid === undefined) end(`could not start (${e.message})`, true);
      else this.o.log(`${this.o.name}: ${e.message}`);
    });
    // 'close', not 'exit': its stderr has been read to the end, so its last line says why.
    child.once('close', (code, signal) => end(`exited (${signal ?? `code ${code}`})${lastLine ? `: ${lastLine}` : ''}`, false));
  }

  private exited(what: string, end: { ranMs: number; spawnFailed: boolean }): void {
    const d = afterExit(this.policy, this.history, end);
    this.history = d.history;
    if (d.action === 'give-up') {
      this.state = 'gave-up';
      const why = `${what}; berthd stopped restarting it: ${d.why}`;
      this.o.log(why);
      this.o.onTrouble?.(`${why}. Restart the VM (berth restart); if it happens again, see berthd's log`);
      return;
    }
    this.state = 'restarting';
    this.o.log(`${what}; starting it again in ${formatSeconds(d.delayMs)} (exit ${d.history.exitsInARow} in a row)`);
    this.o.onTrouble?.(`${what}; berthd is starting it again`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.state !== 'restarting') return;
      this.restarts++;
      this.run();
    }, d.delayMs);
  }

  /** Stop supervising first (no restart after this), then end the run by its PID: SIGTERM, SIGKILL after the grace. */
  async stop(): Promise<void> {
    this.state = 'stopped';
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const child = this.child;
    if (!child || child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => child.kill('SIGKILL'), this.o.stopGraceMs ?? 2000);
      child.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      child.kill('SIGTERM');
    });
  }
}
