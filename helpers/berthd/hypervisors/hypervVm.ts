// Runs Berth's Hyper-V VM through PowerShell: created once (disk grown, never shrunk), started,
// watched by polling its state, stopped with Stop-VM (graceful, the guest's shutdown integration
// service) then -TurnOff, and re-adopted when it already runs. Its COM1 pipe is copied to the console log.
import { createWriteStream, rmSync, type WriteStream } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { z } from 'zod';
import { ConsoleFollower } from './consoleFollower.ts';
import type { PowerdownResult, VmExit, VmProcess } from './driver.ts';
import { configureScript, createScript, ensureDiskScript, startScript, stateScript, stopScript, turnOffScript, type HypervVmSpec } from './hypervScripts.ts';
import type { PowerShellRun } from './powershellRunner.ts';

export const hypervStateSchema = z.object({
  state: z.string(),
  id: z.string().optional(),
  uptimeSeconds: z.number().optional(),
  cpus: z.number().optional(),
  memoryBytes: z.number().optional(),
});
export type HypervState = z.infer<typeof hypervStateSchema>;

/** States in which the VM is gone as far as Berth is concerned (Hyper-V's VMState names). */
const GONE = new Set(['Off', 'Missing', 'Saved', 'OffCritical', 'SavedCritical']);

export type HypervOptions = {
  pollMs?: number;
  startTimeoutMs?: number;
  consoleLog: string;
  diskBytes: number;
  /** Writes the config disk (spec.configDisk); start calls it once it knows the VM is off: Hyper-V locks attached disks while the VM runs. */
  writeConfigDisk?: () => void;
  /** Where the console copier connects, when not spec.consolePipe (tests on Linux: a unix socket standing in for COM1's pipe). */
  consoleEndpoint?: string;
};

/** Copies a pipe (or unix socket, in tests) into a file, reconnecting until stopped: the VM's COM1. */
export class PipeToFile {
  private socket: Socket | undefined;
  private stopped = false;
  private readonly out: WriteStream;

  constructor(
    private readonly pipe: string,
    file: string,
    private readonly retryMs = 200,
  ) {
    rmSync(file, { force: true });
    this.out = createWriteStream(file, { flags: 'a', mode: 0o600 });
    this.attempt();
  }

  private attempt(): void {
    if (this.stopped) return;
    const s = connect(this.pipe);
    this.socket = s;
    s.on('data', (d) => this.out.write(d));
    s.on('error', () => undefined);
    s.on('close', () => {
      if (!this.stopped) setTimeout(() => this.attempt(), this.retryMs).unref();
    });
  }

  stop(): void {
    this.stopped = true;
    this.socket?.destroy();
    this.out.end();
  }
}

export class HypervVm implements VmProcess {
  readonly pid = undefined;
  readonly console: ConsoleFollower;
  readonly exited: Promise<VmExit>;
  private exit: VmExit | undefined;
  private resolveExit!: (e: VmExit) => void;
  private readonly poller: NodeJS.Timeout;
  private readonly copier: PipeToFile;
  private polling = false;
  /** The last state polled. */
  last: HypervState;

  private constructor(
    private readonly ps: PowerShellRun,
    readonly spec: HypervVmSpec,
    first: HypervState,
    o: HypervOptions,
  ) {
    this.last = first;
    this.copier = new PipeToFile(o.consoleEndpoint ?? spec.consolePipe, o.consoleLog);
    this.console = new ConsoleFollower(o.consoleLog);
    this.exited = new Promise((r) => (this.resolveExit = r));
    this.poller = setInterval(() => void this.poll(), o.pollMs ?? 2000);
  }

  private async state(): Promise<HypervState> {
    return hypervStateSchema.parse(await this.ps(stateScript(this.spec.name)));
  }

  private async poll(): Promise<void> {
    if (this.polling || this.exit) return;
    this.polling = true;
    try {
      const s = await this.state();
      this.last = s;
      if (GONE.has(s.state)) this.finish(`Hyper-V reports the VM ${s.state}`);
    } catch {
      // One failed poll (PowerShell slow or busy) is not an exit: the next poll decides.
    } finally {
      this.polling = false;
    }
  }

  private finish(why: string): void {
    if (this.exit) return;
    clearInterval(this.poller);
    this.exit = { code: null, signal: null, stderr: why };
    this.console.fail(why);
    this.console.stop();
    this.copier.stop();
    this.resolveExit(this.exit);
  }

  /**
   * Create the VM when missing (disk created or grown first) or bring a stopped one to the spec (CPUs,
   * memory, boot ISO, config disk), start it, and wait until Hyper-V says Running. The config disk is
   * written first, once Hyper-V says the VM is off or missing.
   */
  static async start(ps: PowerShellRun, spec: HypervVmSpec, o: HypervOptions): Promise<HypervVm> {
    const now = hypervStateSchema.parse(await ps(stateScript(spec.name)));
    if (now.state === 'Running') throw new Error(`the Hyper-V VM ${spec.name} is already running; re-adopt it instead of starting it twice`);
    // A Saved VM resumes with the configuration it already read: its disks are left as they are.
    if (now.state === 'Missing' || now.state === 'Off') o.writeConfigDisk?.();
    await ps(ensureDiskScript(spec.dataDisk, o.diskBytes));
    if (now.state === 'Missing') await ps(createScript(spec));
    else if (now.state === 'Off') await ps(configureScript(spec));
    const started = hypervStateSchema.parse(await ps(startScript(spec.name)));
    const vm = new HypervVm(ps, spec, started, o);
    const deadline = Date.now() + (o.startTimeoutMs ?? 60_000);
    while (vm.last.state !== 'Running') {
      if (vm.exit) throw new Error(`the Hyper-V VM did not start: ${vm.exit.stderr}`);
      if (Date.now() > deadline) {
        await vm.kill();
        throw new Error(`the Hyper-V VM was still ${vm.last.state} after ${(o.startTimeoutMs ?? 60_000) / 1000} s`);
      }
      await new Promise((r) => setTimeout(r, Math.min(o.pollMs ?? 2000, 500)));
      vm.last = await vm.state();
    }
    return vm;
  }

  /** The VM an earlier berthd started, when Hyper-V says it runs. */
  static async adopt(ps: PowerShellRun, spec: HypervVmSpec, o: HypervOptions): Promise<HypervVm | undefined> {
    const now = hypervStateSchema.parse(await ps(stateScript(spec.name)));
    return now.state === 'Running' ? new HypervVm(ps, spec, now, o) : undefined;
  }

  get running(): boolean {
    return this.exit === undefined;
  }

  /** Stop-VM (the guest shuts down), wait up to `timeoutMs` for Off, then Stop-VM -TurnOff. */
  async powerdown(timeoutMs = 30_000): Promise<PowerdownResult> {
    const t0 = Date.now();
    if (!this.running) return { graceful: true, ms: 0 };
    try {
      await this.ps(stopScript(this.spec.name));
    } catch {
      await this.kill();
      return { graceful: false, ms: Date.now() - t0 };
    }
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), timeoutMs)));
    const result = await Promise.race([this.exited, timeout]);
    clearTimeout(timer);
    if (result === 'timeout') {
      await this.kill();
      return { graceful: false, ms: Date.now() - t0 };
    }
    return { graceful: true, ms: Date.now() - t0 };
  }

  /** Stop-VM -TurnOff, and resolve once Hyper-V says Off. */
  async kill(): Promise<VmExit> {
    if (this.running) {
      const s = hypervStateSchema.parse(await this.ps(turnOffScript(this.spec.name)));
      this.last = s;
      if (GONE.has(s.state)) this.finish(`turned off (Hyper-V reports the VM ${s.state})`);
    }
    return this.exited;
  }
}
