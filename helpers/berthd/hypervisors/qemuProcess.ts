// Runs one QEMU process from a VmConfig — spawned, or adopted from a berthd that died — follows its
// console, powers it down through QMP and forces it off. Every exit path ends the process.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync } from 'node:fs';
import { killOnExit } from '../host/childReaper.ts';
import { fileEnd } from '../host/fileEnd.ts';
import { processAlive } from '../host/processLiveness.ts';
import { ConsoleFollower } from './consoleFollower.ts';
import type { VmExit, VmProcess } from './driver.ts';
import { QmpClient } from './qmpClient.ts';
import { qemuArgs } from './qemuArgs.ts';
import type { VmConfig } from './vmConfig.ts';

export type QemuExit = VmExit;

/**
 * Where a QEMU process writes its console and listens for QMP. With `stderrLog`, QEMU's stderr goes
 * to that file rather than a pipe, so QEMU outlives a berthd that is killed (a re-adoptable VM).
 */
export type QemuIo = { consoleLog: string; qmpSocket?: string; stderrLog?: string };

/** How the process is reached: our child, or a pid we adopted and watch. */
type Handle = { pid: number | undefined; kill: () => void; onExit: (fn: (code: number | null, signal: NodeJS.Signals | null) => void) => void };

export class QemuProcess implements VmProcess {
  readonly console: ConsoleFollower;
  readonly exited: Promise<QemuExit>;
  private stderr = '';
  private exit: QemuExit | undefined;

  private constructor(
    readonly io: QemuIo,
    private readonly handle: Handle,
    pipeStderr?: NodeJS.ReadableStream | null,
  ) {
    this.console = new ConsoleFollower(io.consoleLog);
    pipeStderr?.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-8192)));
    this.exited = new Promise((resolve) => {
      handle.onExit((code, signal) => {
        const stderr = (io.stderrLog ? fileEnd(io.stderrLog, 8192) : this.stderr).trim();
        this.exit = { code, signal, stderr };
        this.console.fail(`QEMU exited (${signal ?? `code ${code}`})${stderr ? `: ${stderr}` : ''}`);
        this.console.stop();
        resolve(this.exit);
      });
    });
  }

  static start(config: VmConfig, binary = 'qemu-system-x86_64', stderrLog?: string): QemuProcess {
    return QemuProcess.spawnArgv(qemuArgs(config), { consoleLog: config.consoleLog, qmpSocket: config.qmpSocket, stderrLog }, binary);
  }

  /** Run QEMU with a ready argv; `io` says where that argv puts the console and QMP. */
  static spawnArgv(argv: string[], io: QemuIo, binary = 'qemu-system-x86_64'): QemuProcess {
    if (existsSync(io.consoleLog)) rmSync(io.consoleLog);
    if (io.qmpSocket && existsSync(io.qmpSocket)) rmSync(io.qmpSocket);
    const errFd = io.stderrLog ? openSync(io.stderrLog, 'w', 0o600) : undefined;
    const child = spawn(binary, argv, { stdio: ['ignore', 'ignore', errFd ?? 'pipe'] });
    if (errFd !== undefined) closeSync(errFd);
    killOnExit(child);
    const handle: Handle = {
      pid: child.pid,
      kill: () => child.kill('SIGKILL'),
      onExit: (fn) => child.on('exit', (code, signal) => fn(code, signal)),
    };
    const p = new QemuProcess(io, handle, child.stderr);
    child.on('error', (e) => p.console.fail(`QEMU could not start (${e.message}); install it: apt-get install qemu-system-x86`));
    return p;
  }

  /**
   * Take over a QEMU that a previous berthd started (T-27): it is not our child, so its exit is
   * seen by polling the pid. The caller has checked that `pid` is QEMU on Berth's disk.
   */
  static adopt(pid: number, io: QemuIo, pollMs = 250): QemuProcess {
    const handle: Handle = {
      pid,
      kill: () => {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      },
      onExit: (fn) => {
        const timer = setInterval(() => {
          if (processAlive(pid)) return;
          clearInterval(timer);
          // Not our child: its exit status is not ours to read.
          fn(null, null);
        }, pollMs);
      },
    };
    return new QemuProcess(io, handle);
  }

  get pid(): number | undefined {
    return this.handle.pid;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  async qmp(): Promise<QmpClient> {
    if (!this.io.qmpSocket) throw new Error('this VM was started without a QMP socket');
    const deadline = Date.now() + 5000;
    for (;;) {
      try {
        return await QmpClient.connect(this.io.qmpSocket);
      } catch (e) {
        if (Date.now() > deadline || !this.running) throw e;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  }

  /** ACPI power button through QMP, then wait up to `timeoutMs` for QEMU to exit; force it off after. */
  async powerdown(timeoutMs = 30_000): Promise<{ graceful: boolean; ms: number }> {
    const t0 = Date.now();
    if (!this.running) return { graceful: true, ms: 0 };
    const qmp = await this.qmp();
    try {
      await qmp.execute('system_powerdown');
    } finally {
      qmp.close();
    }
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    const result = await Promise.race([this.exited, timer]);
    if (result === 'timeout') {
      await this.kill();
      return { graceful: false, ms: Date.now() - t0 };
    }
    return { graceful: true, ms: Date.now() - t0 };
  }

  /** SIGKILL and wait for the exit. */
  async kill(): Promise<QemuExit> {
    if (this.running) this.handle.kill();
    return this.exited;
  }
}
