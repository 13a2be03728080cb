// Runs one HyperKit VM (Intel macOS) from a VmConfig — spawned, or adopted through its pid file after a
// berthd restart — follows its console log, and stops it: the agent's shutdown RPC, then SIGKILL.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from 'node:fs';
import { killOnExit } from '../host/childReaper.ts';
import { fileEnd } from '../host/fileEnd.ts';
import { processAlive } from '../host/processLiveness.ts';
import { ConsoleFollower } from './consoleFollower.ts';
import type { PowerdownResult, VmExit, VmProcess } from './driver.ts';
import { hyperkitForwardSocket } from './guestLinkParams.ts';
import { hyperkitArgs, type HyperkitExtras } from './hyperkitArgs.ts';
import { adoptedHandle, childHandle, commandLineOf, type ProcessHandle } from './processHandle.ts';
import type { VmConfig } from './vmConfig.ts';

/**
 * Asks the guest to power off. This HyperKit build handles only SIGUSR1/SIGUSR2 (pause, resume):
 * there is no host-side ACPI button, so the graceful path is berth-agent's `shutdown` RPC over the
 * guest link; the guest's ACPI poweroff then makes HyperKit exit 0.
 */
export type GuestShutdown = () => Promise<void>;

export type HyperkitIo = { consoleLog: string; pidFile: string; vsockDir: string; dataDisk?: string; stderrLog?: string };

/** What HyperKit's exit code means (hyperkit.c, vmexit_suspend). */
export function describeHyperkitExit(code: number | null, signal: NodeJS.Signals | null): string {
  if (signal) return `HyperKit was ended by ${signal}`;
  switch (code) {
    case 0:
      return 'the guest powered off';
    case 2:
      return 'the guest reset itself (HyperKit exits on reset)';
    case 3:
      return 'the guest crashed (triple fault)';
    case null:
      return 'HyperKit exited (adopted: exit status unknown)';
    default:
      return `HyperKit failed (exit code ${code})`;
  }
}

export class HyperkitProcess implements VmProcess {
  readonly console: ConsoleFollower;
  readonly exited: Promise<VmExit>;
  private stderr = '';
  private exit: VmExit | undefined;

  private constructor(
    readonly io: HyperkitIo,
    private readonly handle: ProcessHandle,
    private readonly guestShutdown: GuestShutdown | undefined,
    pipeStderr?: NodeJS.ReadableStream | null,
  ) {
    this.console = new ConsoleFollower(io.consoleLog);
    pipeStderr?.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-8192)));
    this.exited = new Promise((resolve) => {
      handle.onExit((code, signal) => {
        const stderr = (io.stderrLog ? fileEnd(io.stderrLog, 8192) : this.stderr).trim();
        this.exit = { code, signal, stderr };
        this.console.fail(`${describeHyperkitExit(code, signal)}${stderr ? `: ${stderr}` : ''}`);
        this.console.stop();
        resolve(this.exit);
      });
    });
  }

  /** Start HyperKit. A pid file left by a HyperKit that still runs on this disk is never overwritten. */
  static start(c: VmConfig, x: HyperkitExtras, o: { binary?: string; stderrLog?: string; guestShutdown?: GuestShutdown } = {}): HyperkitProcess {
    const io: HyperkitIo = { consoleLog: c.consoleLog, pidFile: c.pidFile ?? '', vsockDir: x.vsockDir, dataDisk: c.dataDisk?.path, stderrLog: o.stderrLog };
    const argv = hyperkitArgs(c, x);
    const running = HyperkitProcess.ownerOf(io);
    if (running !== undefined) throw new Error(`HyperKit (pid ${running}) already runs on this VM's disk; stop it or let berthd re-adopt it`);
    rmSync(io.pidFile, { force: true }); // HyperKit creates it with O_EXCL: a stale one stops the start
    rmSync(io.consoleLog, { force: true });
    mkdirSync(x.vsockDir, { recursive: true, mode: 0o700 });
    const errFd = o.stderrLog ? openSync(o.stderrLog, 'w', 0o600) : undefined;
    const child = spawn(o.binary ?? 'hyperkit', argv, { stdio: ['ignore', 'ignore', errFd ?? 'pipe'] });
    if (errFd !== undefined) closeSync(errFd);
    killOnExit(child);
    const p = new HyperkitProcess(io, childHandle(child), o.guestShutdown, child.stderr);
    child.on('error', (e) => p.console.fail(`HyperKit could not start (${e.message}); install it: brew install hyperkit (Intel Macs only)`));
    return p;
  }

  /** The pid in the pid file when it is a live HyperKit with this VM's disk on its command line. */
  static ownerOf(io: Pick<HyperkitIo, 'pidFile' | 'dataDisk'>, argvOf: (pid: number) => string[] | undefined = commandLineOf): number | undefined {
    if (!existsSync(io.pidFile)) return undefined;
    const pid = Number(readFileSync(io.pidFile, 'utf8').trim());
    if (!Number.isInteger(pid) || pid <= 1 || !processAlive(pid)) return undefined;
    const argv = argvOf(pid);
    if (!argv || !argv.some((a) => /hyperkit/.test(a))) return undefined;
    if (io.dataDisk && !argv.some((a) => a.includes(io.dataDisk!))) return undefined;
    return pid;
  }

  /** Take over the HyperKit an earlier berthd started (T-27), or undefined when none runs on this disk. */
  static adopt(io: HyperkitIo, o: { guestShutdown?: GuestShutdown; pollMs?: number; argvOf?: (pid: number) => string[] | undefined } = {}): HyperkitProcess | undefined {
    const pid = HyperkitProcess.ownerOf(io, o.argvOf);
    if (pid === undefined) return undefined;
    return new HyperkitProcess(io, adoptedHandle(pid, o.pollMs), o.guestShutdown);
  }

  get pid(): number | undefined {
    return this.handle.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** berthd's end of the guest link: the unix socket HyperKit forwards to the agent's vsock port. */
  get linkSocket(): string {
    return hyperkitForwardSocket(this.io.vsockDir);
  }

  /** The agent's shutdown RPC, then wait up to `timeoutMs` for HyperKit to exit; SIGKILL after. */
  async powerdown(timeoutMs = 30_000): Promise<PowerdownResult> {
    const t0 = Date.now();
    if (!this.running) return { graceful: true, ms: 0 };
    if (!this.guestShutdown) {
      await this.kill();
      return { graceful: false, ms: Date.now() - t0 };
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    try {
      const asked = this.guestShutdown().then(
        () => 'asked' as const,
        () => 'failed' as const,
      );
      const first = await Promise.race([asked, this.exited, timeout]);
      if (first === 'failed' || first === 'timeout') {
        await this.kill();
        return { graceful: false, ms: Date.now() - t0 };
      }
      const result = await Promise.race([this.exited, timeout]);
      if (result === 'timeout') {
        await this.kill();
        return { graceful: false, ms: Date.now() - t0 };
      }
      return { graceful: true, ms: Date.now() - t0 };
    } finally {
      clearTimeout(timer);
    }
  }

  /** SIGKILL and wait for the exit. HyperKit leaves its pid file behind then: it is removed here. */
  async kill(): Promise<VmExit> {
    if (this.running) this.handle.kill('SIGKILL');
    const exit = await this.exited;
    rmSync(this.io.pidFile, { force: true });
    return exit;
  }
}
