// Runs one QEMU process from a VmConfig: spawn with an argv array, follow its console, power it
// down through QMP, force it off. Every exit path ends the process; none is left behind.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { ConsoleFollower } from './consoleFollower.ts';
import { QmpClient } from './qmpClient.ts';
import { qemuArgs } from './qemuArgs.ts';
import type { VmConfig } from './vmConfig.ts';

export type QemuExit = { code: number | null; signal: NodeJS.Signals | null; stderr: string };

/** Where a QEMU process writes its console and listens for QMP. */
export type QemuIo = { consoleLog: string; qmpSocket?: string };

const live = new Set<ChildProcess>();
let exitHookInstalled = false;
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const c of live) c.kill('SIGKILL');
  });
}

export class QemuProcess {
  readonly console: ConsoleFollower;
  readonly exited: Promise<QemuExit>;
  private stderr = '';
  private exit: QemuExit | undefined;

  private constructor(
    readonly io: QemuIo,
    private readonly child: ChildProcess,
  ) {
    this.console = new ConsoleFollower(io.consoleLog);
    child.stderr?.on('data', (d) => (this.stderr = (this.stderr + String(d)).slice(-8192)));
    this.exited = new Promise((resolve) => {
      child.on('exit', (code, signal) => {
        live.delete(child);
        this.exit = { code, signal, stderr: this.stderr.trim() };
        this.console.fail(`QEMU exited (${signal ?? `code ${code}`})${this.stderr.trim() ? `: ${this.stderr.trim()}` : ''}`);
        this.console.stop();
        resolve(this.exit);
      });
    });
  }

  static start(config: VmConfig, binary = 'qemu-system-x86_64'): QemuProcess {
    return QemuProcess.spawnArgv(qemuArgs(config), { consoleLog: config.consoleLog, qmpSocket: config.qmpSocket }, binary);
  }

  /** Run QEMU with a ready argv; `io` says where that argv puts the console and QMP. */
  static spawnArgv(argv: string[], io: QemuIo, binary = 'qemu-system-x86_64'): QemuProcess {
    installExitHook();
    if (existsSync(io.consoleLog)) rmSync(io.consoleLog);
    if (io.qmpSocket && existsSync(io.qmpSocket)) rmSync(io.qmpSocket);
    const child = spawn(binary, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
    live.add(child);
    const p = new QemuProcess(io, child);
    child.on('error', (e) => p.console.fail(`QEMU could not start (${e.message}); install it: apt-get install qemu-system-x86`));
    return p;
  }

  get pid(): number | undefined {
    return this.child.pid;
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
    if (this.running) this.child.kill('SIGKILL');
    return this.exited;
  }
}
