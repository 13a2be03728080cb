// Runs the VM lifecycle's effects: host checks, disk, the VM through its hypervisor driver (QEMU with an
// acceleration watchdog, HyperKit, Hyper-V), the guest link, Docker's readiness, the host socket,
// re-adoption after a berthd crash, and health while running.
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { formatSize, MiB, type Settings } from '../../api/settings.ts';
import type { AccelInfo, DegradedReason, VmState } from '../../api/vmState.ts';
import { dockerServerEndpoint } from '../control/hostEndpoints.ts';
import { ensureDockerContext } from '../docker/dockerContext.ts';
import { guardDockerConnection } from '../forward/dockerApiGuard.ts';
import { DockerEndpointError, HostDockerEndpoint, type HostDockerEndpointOptions } from '../forward/hostDockerEndpoint.ts';
import { pingDocker } from '../guest/dockerPing.ts';
import { LinkSession } from '../guest/linkSession.ts';
import type { LinkStream } from '../guest/linkStream.ts';
import { AgentRpc } from '../guest/rpcClient.ts';
import { failedAccelWhy, fallbackWhy, planAccel, type AccelSetting } from '../hypervisors/accelChoice.ts';
import { HostProblem, type DriverRuntime, type VmProcess } from '../hypervisors/driver.ts';
import { chooseDriver, driverRuntime, type DriverContext, type DriverHost } from '../hypervisors/driverChoice.ts';
import { readHostFacts, rememberKvmHangs } from '../hypervisors/hostFacts.ts';
import { ninepServerPath } from '../hypervisors/ninepServer.ts';
import { VirtiofsdGroup, virtiofsAvailable } from '../hypervisors/virtiofsd.ts';
import type { Accel, VmConfig } from '../hypervisors/vmConfig.ts';
import { ensureLayout, type BerthPaths } from '../paths.ts';
import { PortService } from '../ports/portService.ts';
import type { SettingsService } from '../settings/settingsService.ts';
import { writeConfigDisk } from './configDisk.ts';
import { guestConfigFromSettings } from './guestConfigFromSettings.ts';
import { classifyKernelLine, kernelFaultMessage } from './guestKernelFaults.ts';
import { LinkShares, sharesOverLink } from './linkShares.ts';
import { defaultShareTransport, planShares, statFolderKind, type SharesPlan } from './sharesPlan.ts';
import { imageDir, loadVmImage } from './vmImage.ts';
import { VmHealth } from './vmHealth.ts';
import { readVmRecord, removeVmRecord, writeVmRecord, type VmRecord } from './vmRecord.ts';
import { nextState, type VmEvent } from './vmStateMachine.ts';

/**
 * BERTH_BENCH_HOSTFWD="hostPort:guestPort,…" adds QEMU user-net forwards on 127.0.0.1: a baseline for
 * benchmarks and tests that compare Berth's port forwarding with QEMU's own. Never set for users.
 */
export function benchHostForwards(env: NodeJS.ProcessEnv = process.env): { hostPort: number; guestPort: number }[] {
  const spec = env.BERTH_BENCH_HOSTFWD;
  if (!spec) return [];
  return spec.split(',').map((pair) => {
    const [h, g] = pair.split(':').map(Number);
    if (!Number.isInteger(h) || !Number.isInteger(g) || h! < 1 || h! > 65535 || g! < 1 || g! > 65535) throw new Error(`BERTH_BENCH_HOSTFWD: "${pair}" is not hostPort:guestPort`);
    return { hostPort: h!, guestPort: g! };
  });
}

/** BERTH_ACCEL, when set, overrides the `accel` setting (tests and one-off runs). */
export function accelOverride(env: NodeJS.ProcessEnv = process.env): AccelSetting | undefined {
  const accel = env.BERTH_ACCEL;
  if (accel === undefined || accel === '') return undefined;
  if (!['auto', 'kvm', 'hvf', 'whpx', 'tcg'].includes(accel)) throw new Error(`BERTH_ACCEL must be auto, kvm, hvf, whpx or tcg, not ${accel}`);
  return accel as AccelSetting;
}

/** What `status` says of a VM's shares: the transport and why, the guest paths mounted, the problems. */
function sharesStatus(plan: SharesPlan, choice: { transport: '9p' | 'virtiofs'; why: string }): NonNullable<VmManager['shares']> {
  return { ...choice, mounted: plan.guestMounts?.map((m) => m.guestPath) ?? [], problems: plan.problems };
}

/** Whether this VM's shares go over the guest link: the driver's way (Hyper-V), or BERTH_SHARE_TRANSPORT=link (tests on QEMU). */
export function sharesGoOverLink(driver: Pick<DriverRuntime, 'sharesOver'>, env: NodeJS.ProcessEnv = process.env): boolean {
  return driver.sharesOver === 'link' || env.BERTH_SHARE_TRANSPORT === 'link';
}

const OVER_LINK_WHY = '9P over the guest link: berth-ninep-server on the host, mounted by berth-agent with trans=fd';

/**
 * The shares of a driver that cannot serve them (none today: Hyper-V's go over the link): none is mounted, each
 * is named as a problem so `status` says plainly that the folder is not shared.
 */
function withoutShares(plan: SharesPlan, driver: DriverRuntime): SharesPlan {
  const problems = [...plan.problems, ...plan.qemu.map((q) => `${q.hostPath} is not shared: Berth cannot share folders with the ${driver.label} driver yet (driver qemu can)`)];
  return { ...plan, qemu: [], virtiofsd: [], guestMounts: [], problems };
}

/**
 * How the VM manager picks and builds drivers. Tests give the host, the driver (in place of the
 * setting, which this host's validation would refuse) and the fakes' binaries.
 */
export type VmDriverOptions = {
  host?: DriverHost;
  driver?: Settings['driver'];
  overrides?: Pick<DriverContext, 'hyperkit' | 'hyperv'>;
  /**
   * Tests: the Docker endpoint as on another platform (win32 with the bridge built for Linux, unix
   * sockets standing in); `privateEndpoint` stands in for the fresh private pipe of each start.
   */
  dockerEndpoint?: Pick<HostDockerEndpointOptions, 'platform' | 'bridgeBinary' | 'bridgeArgvs'> & { privateEndpoint?: () => string };
};

class StartAborted extends Error {}

export class StartFailure extends Error {
  constructor(
    message: string,
    readonly hint: string,
  ) {
    super(message);
  }
}

/** A guest-kernel fault is cleared once Docker answers this long after the kernel's last stuck report. */
const KERNEL_FAULT_CLEARS_MS = 60_000;
const WATCHDOG_SECONDS = Number(process.env.BERTH_ACCEL_WATCHDOG_SECONDS ?? 20);

export class VmManager extends EventEmitter {
  state: VmState = { state: 'stopped' };
  accel: AccelInfo | undefined;
  dockerVersion: string | undefined;
  /** The running VM, whatever runs it (QemuProcess, HyperkitProcess, HypervVm). */
  vm: VmProcess | undefined;
  /** The driver of the VM that runs or was last started. */
  driver: DriverRuntime | undefined;
  /** The VM under its old name (berthd's status reads its pid): the same object as `vm`. */
  get qemu(): VmProcess | undefined {
    return this.vm;
  }
  session: LinkSession | undefined;
  dockerServer: HostDockerEndpoint | undefined;
  dockerContext: string | undefined;
  /** The settings the running VM was started with. */
  applied: Settings | undefined;
  startedAt: number | undefined;
  adopted = false;
  /** How this VM's shares were mounted, and the ones that could not be. */
  shares: { transport: '9p' | 'virtiofs'; why: string; mounted: string[]; problems: string[] } | undefined;
  private virtiofsd: VirtiofsdGroup | undefined;
  /** The shares mounted over the guest link, when this VM's go that way (sharesGoOverLink). */
  private linkShares: LinkShares | undefined;
  readonly health: VmHealth;
  readonly ports: PortService;
  private rpcClient: AgentRpc | undefined;
  private linkSocket: Socket | undefined;
  private abort: AbortController | undefined;
  private starting: Promise<void> | undefined;
  private degraded = new Map<DegradedReason['what'], string>();
  /** When the console last showed the guest kernel reporting itself stuck (guestKernelFaults.ts). */
  private kernelFaultAt = 0;
  /** Supervised helper processes that are down now (T-26), by name: the `helper` degraded reason. */
  private readonly helpersDown = new Map<string, string>();
  /** A reconnect of the guest link in progress (its transport closed while the VM runs). */
  private relinking: Promise<void> | undefined;
  /** One runtime per driver for this berthd's life (each remembers the VM it started). */
  private readonly runtimes = new Map<Settings['driver'], DriverRuntime>();

  constructor(
    readonly paths: BerthPaths,
    readonly settings: SettingsService,
    private readonly log: (m: string) => void,
    private readonly accelFromEnv: AccelSetting | undefined = accelOverride(),
    private readonly driverOptions: VmDriverOptions = {},
  ) {
    super();
    this.health = new VmHealth({
      openDocker: () => this.openGuestStream('docker'),
      rpc: () => this.rpc(),
      setDegraded: (what, message) => {
        this.setDegraded(what, message);
        if (what === 'docker' && message === undefined) this.clearPastKernelFault();
      },
      log,
    });
    this.ports = new PortService({ open: (t) => this.openGuestStream(t), dockerSocket: paths.dockerSocket, bindAddress: () => settings.get().ports.bindAddress, log });
    this.ports.on('trouble', (m) => this.setDegraded('port', m));
  }

  /** The runtime of a driver (built once), whose graceful HyperKit stop is the agent's shutdown RPC. */
  private runtimeOf(name: Settings['driver']): DriverRuntime {
    let r = this.runtimes.get(name);
    if (!r) {
      r = driverRuntime(name, {
        paths: this.paths,
        log: this.log,
        imageDir: imageDir(),
        guestShutdown: () => this.agentShutdown(),
        helperState: (helper, trouble) => this.helperState(helper, trouble),
        ...this.driverOptions.overrides,
      });
      this.runtimes.set(name, r);
    }
    return r;
  }

  /** The agent's `shutdown` RPC on the current link (HyperKit has no host-side ACPI button). */
  private async agentShutdown(): Promise<void> {
    if (!this.session) throw new Error('no guest link to ask the agent to shut down');
    const rpc = AgentRpc.open(this.session);
    try {
      await rpc.call('shutdown', {}, 10_000);
    } finally {
      rpc.close();
    }
  }

  private apply(event: VmEvent): boolean {
    const next = nextState(this.state, event, Date.now());
    if (!next) return false;
    this.state = next;
    this.emit('state', next);
    return true;
  }

  private phase(phase: Extract<VmEvent, { type: 'phase' }>['phase'], progress: number, signal: AbortSignal): void {
    if (signal.aborted) throw new StartAborted();
    this.apply({ type: 'phase', phase, progress });
    this.log(`start: ${phase}`);
  }

  /** The agent's RPC, opened on first use and again after the agent restarted. */
  rpc(): AgentRpc | undefined {
    if (!this.session || this.state.state !== 'running') return undefined;
    this.rpcClient ??= AgentRpc.open(this.session);
    return this.rpcClient;
  }

  /** A new stream to a guest target (docker, exec, tcp:<port>) while the VM runs. */
  openGuestStream(target: string): LinkStream {
    if (!this.session || this.state.state !== 'running') throw new Error('the VM is not running');
    return this.session.open(target);
  }

  /** Start the VM; resolves when Docker answers through the host socket, rejects with the failure. */
  start(): Promise<void> {
    if (this.state.state === 'running') return Promise.resolve();
    if (this.state.state === 'starting' && this.starting) return this.starting;
    if (this.state.state === 'stopping') return Promise.reject(new StartFailure('the VM is stopping', 'wait for it to stop, then start it again'));
    this.apply({ type: 'start' });
    return this.track((signal) => this.runStart(signal));
  }

  /**
   * At berthd's start: a VM an earlier berthd left running on our disk is taken over — QEMU's pid,
   * QMP, the guest link, Docker — instead of booting a second one (T-27). Resolves false when none.
   */
  async adoptIfRunning(): Promise<boolean> {
    // The record names the driver that started the VM; without one (Hyper-V keeps none), the setting's.
    const name = readVmRecord(this.paths.vmRecord)?.driver ?? this.driverOptions.driver ?? this.settings.get().driver;
    const chosen = chooseDriver(name, this.driverHost());
    if (!chosen.ok) return false;
    const driver = this.runtimeOf(name);
    let found;
    try {
      found = await driver.adopt();
    } catch (e) {
      found = { kind: 'none' as const, why: `${driver.label} could not be asked: ${(e as Error).message}` };
    }
    if (found.kind === 'none') {
      if (existsSync(this.paths.vmRecord)) {
        this.log(`not re-adopting a VM: ${found.why}`);
        removeVmRecord(this.paths.vmRecord);
      }
      return false;
    }
    const adopted = found.adopted;
    this.apply({ type: 'adopt' });
    try {
      await this.track((signal) => this.runAdopt(driver, adopted, signal));
    } catch {
      /* the state says why */
    }
    return this.state.state === 'running';
  }

  private driverHost(): DriverHost {
    return this.driverOptions.host ?? { platform: process.platform, arch: process.arch };
  }

  private track(run: (signal: AbortSignal) => Promise<void>): Promise<void> {
    const ac = new AbortController();
    this.abort = ac;
    this.starting = run(ac.signal).catch(async (e: Error) => {
      if (e instanceof StartAborted || ac.signal.aborted) return;
      const lastLog = this.vm ? this.vm.console.tail(20).split('\n') : [];
      await this.teardown();
      const hint = e instanceof StartFailure ? e.hint : `see ${this.paths.consoleLog} and ${this.paths.berthdLog}`;
      this.log(`start failed: ${e.message}`);
      this.apply({ type: 'failed', reason: e.message, hint, lastLog });
      throw e;
    });
    return this.starting;
  }

  private async runAdopt(driver: DriverRuntime, a: { vm: VmProcess; startedAt?: number; cpus?: number; memoryMiB?: number; accel?: AccelInfo }, signal: AbortSignal): Promise<void> {
    const vm = a.vm;
    const now = this.settings.get();
    this.vm = vm;
    this.watchKernel(vm);
    this.driver = driver;
    this.adopted = true;
    this.accel = a.accel ?? (driver.fixedAccel ? { ...driver.fixedAccel, requested: now.accel } : undefined);
    this.startedAt = a.startedAt ?? Date.now();
    this.applied = { ...now, driver: driver.name, cpus: a.cpus ?? now.cpus, memory: (a.memoryMiB ?? Math.floor(now.memory / MiB)) * MiB };
    // What the VM mounted is not recorded: the shares of the current settings are the best account of it.
    let plan = planShares(this.applied.shares, { transport: '9p', platform: process.platform, folderKind: statFolderKind, socketDir: this.paths.socketDir });
    if (!driver.sharesSupported) plan = withoutShares(plan, driver);
    // Over the link the new session's HELLO ends the old mounts; they are mounted again below.
    if (driver.sharesSupported && sharesGoOverLink(driver)) plan = this.planLinkShares(plan);
    this.shares = sharesStatus(plan, { transport: '9p', why: this.linkShares ? `${OVER_LINK_WHY} (re-adopted: the shares of the current settings)` : 're-adopted: the shares of the current settings' });
    void vm.exited.then((exit) => this.onVmExit(vm, exit.signal ?? (exit.code === null ? 'exited' : `code ${exit.code}`), exit.stderr));
    const session = await this.abortable(this.connectLink(vm, 60_000), signal);
    await this.abortable(this.mountLinkShares(), signal);
    this.phase('waiting for docker', 0.75, signal);
    await this.waitForDocker(session, 120_000, signal);
    await this.serveDocker(signal);
    this.becameReady();
  }

  private async runStart(signal: AbortSignal): Promise<void> {
    const { paths } = this;
    this.phase('checking host', 0.02, signal);
    ensureLayout(paths);
    const settings = this.settings.reload();
    const requested = this.accelFromEnv ?? settings.accel;
    const chosen = chooseDriver(this.driverOptions.driver ?? settings.driver, this.driverHost());
    if (!chosen.ok) throw new StartFailure(chosen.problem.message, chosen.problem.hint);
    const driver = this.runtimeOf(chosen.driver);
    this.driver = driver;
    if (driver.name !== 'qemu') this.log(`driver: ${driver.label} (${chosen.why})`);
    let image;
    try {
      image = loadVmImage();
    } catch (e) {
      throw new StartFailure((e as Error).message, 'build the VM image with `npm run vm:build`');
    }
    await this.hostStep(() => driver.checkHost());
    await this.hostStep(() => driver.clearLeftover());
    const probeFile = join(paths.runDir, 'accel-probe.json');
    const plan = driver.fixedAccel ? { first: driver.fixedAccel.accel, why: driver.fixedAccel.why } : planAccel(requested, readHostFacts(probeFile));

    this.phase('preparing disk', 0.1, signal);
    try {
      const did = await driver.ensureDisk(settings.disk);
      if (did) this.log(did);
    } catch (e) {
      throw new StartFailure((e as Error).message, `Berth keeps the VM's disk at ${driver.dataDisk}`);
    }
    const shares = await this.prepareShares(settings, driver);
    writeConfigDisk(paths.configDisk, { ...guestConfigFromSettings(settings), mounts: shares.guestMounts });

    this.phase('booting', 0.2, signal);
    const memoryMiB = Math.floor(settings.memory / MiB);
    const config = (accel: Accel): VmConfig => ({
      name: 'berth',
      cpus: settings.cpus,
      memoryMiB,
      accel,
      kernel: image.kernel,
      initrd: image.initrd,
      cmdline: image.cmdline,
      dataDisk: { path: driver.dataDisk, format: 'qcow2' },
      configDisk: paths.configDisk,
      consoleLog: paths.consoleLog,
      qmpSocket: paths.qmpSocket,
      guestLinkSocket: paths.guestLinkSocket,
      pidFile: paths.qemuPidFile,
      hostForwards: driver.hostForwards ? benchHostForwards() : [],
      shares: shares.qemu,
    });
    const boot = async (accel: Accel): Promise<VmProcess> => {
      const q = await this.hostStep(() => driver.start(config(accel)));
      this.vm = q;
      this.watchKernel(q);
      void q.exited.then((exit) => {
        // While an accelerator is being probed its QEMU may die or be killed: that is the probe's answer.
        if (probing === q) return;
        this.onVmExit(q, exit.signal ?? `code ${exit.code}`, exit.stderr);
      });
      return q;
    };
    let probing: VmProcess | undefined;
    let vm = await boot(plan.first);
    this.accel = { accel: plan.first, requested, why: plan.why };
    if ('fallback' in plan && plan.fallback) {
      probing = vm;
      try {
        await this.abortable(vm.console.waitFor(/^berth: init/, WATCHDOG_SECONDS * 1000), signal);
        probing = undefined;
      } catch (e) {
        if (signal.aborted) throw new StartAborted();
        const exit = vm.running ? undefined : await vm.exited;
        this.log(`${plan.first} probe failed: ${(e as Error).message.split('\n')[0]}`);
        await vm.kill();
        if (plan.first === 'kvm') rememberKvmHangs(probeFile);
        vm = await boot(plan.fallback);
        probing = undefined;
        const why = exit ? failedAccelWhy(plan.first, exit.stderr) : fallbackWhy(plan.first, WATCHDOG_SECONDS);
        this.accel = { accel: plan.fallback, requested, why };
      }
    }
    this.log(`acceleration: ${this.accel.accel} (${this.accel.why})`);
    this.applied = driver.name === settings.driver ? settings : { ...settings, driver: driver.name };
    this.startedAt = Date.now();
    this.adopted = false;
    const record: VmRecord = { pid: vm.pid ?? 0, startedAt: this.startedAt, accel: this.accel, dataDisk: driver.dataDisk, cpus: settings.cpus, memoryMiB, ...(driver.name === 'qemu' ? {} : { driver: driver.name }) };
    if (record.pid > 0) writeVmRecord(paths.vmRecord, record);
    await this.abortable(vm.console.waitFor(/^berth: init/, 120_000), signal);

    this.phase('waiting for agent', 0.5, signal);
    const session = await this.abortable(this.connectLink(vm, 180_000), signal);
    // Before Docker is served: a container's bind mount of a share must find it mounted.
    await this.abortable(this.mountLinkShares(), signal);

    this.phase('waiting for docker', 0.75, signal);
    await this.waitForDocker(session, 180_000, signal);
    await this.serveDocker(signal);
    this.becameReady();
  }

  /** A driver step whose HostProblem becomes the start's failure, with the driver's hint. */
  private async hostStep<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (e) {
      if (e instanceof HostProblem) throw new StartFailure(e.message, e.hint);
      throw e;
    }
  }

  /**
   * Plan the shares for this boot (9p unless BERTH_SHARE_TRANSPORT=virtiofs and virtiofsd runs here),
   * start virtiofsd for them, and say which folders are not shared and why.
   */
  private async prepareShares(settings: Settings, driver: DriverRuntime): Promise<SharesPlan> {
    const choice = process.env.BERTH_SHARE_TRANSPORT === 'virtiofs' && driver.sharesSupported ? defaultShareTransport(virtiofsAvailable(), 'virtiofs') : defaultShareTransport({ ok: false, reason: 'not asked for' });
    await this.linkShares?.stop();
    this.linkShares = undefined;
    if (driver.sharesSupported && sharesGoOverLink(driver)) {
      const plan = this.planLinkShares(planShares(settings.shares, { transport: '9p', platform: process.platform, folderKind: statFolderKind, socketDir: this.paths.socketDir }));
      for (const m of plan.problems) this.log(`shares: ${m}`);
      this.shares = sharesStatus(plan, { transport: '9p', why: OVER_LINK_WHY });
      this.log(`shares over the guest link, mounted once the agent answers: ${this.linkShares!.shares.map((s) => s.guestPath).join(', ') || 'none'}`);
      return plan;
    }
    const planned = planShares(settings.shares, { transport: choice.transport, platform: process.platform, folderKind: statFolderKind, socketDir: this.paths.socketDir });
    const plan = driver.sharesSupported ? planned : withoutShares(planned, driver);
    for (const m of [...plan.notes, ...plan.problems]) this.log(`shares: ${m}`);
    if (plan.virtiofsd.length > 0) {
      await this.virtiofsd?.stop();
      try {
        this.virtiofsd = await VirtiofsdGroup.start(plan.virtiofsd, { logFile: (i) => join(this.paths.logsDir, `virtiofsd-${i}.log`) });
      } catch (e) {
        throw new StartFailure(`virtiofsd could not start for the shares: ${(e as Error).message}`, 'unset BERTH_SHARE_TRANSPORT to share folders over 9p');
      }
    }
    this.shares = sharesStatus(plan, choice);
    this.log(`shares over ${choice.transport}: ${this.shares.mounted.join(', ') || 'none'}`);
    return plan;
  }

  /** Move the plan's shares onto the link (LinkShares); the plan keeps only its problems. */
  private planLinkShares(planned: SharesPlan): SharesPlan {
    const { plan, shares } = sharesOverLink(planned);
    const problems = plan.problems;
    this.linkShares = new LinkShares(shares, {
      binary: ninepServerPath(),
      socketDir: this.paths.socketDir,
      logsDir: this.paths.logsDir,
      log: this.log,
      changed: () => {
        if (this.shares && this.linkShares) this.shares = { ...this.shares, mounted: this.linkShares.mounted, problems: [...problems, ...this.linkShares.problems] };
      },
    });
    return plan;
  }

  /** Wait for the shares over the link (mounted at each HELLO) to be settled; a share that failed is a problem in `status`. */
  private async mountLinkShares(): Promise<void> {
    await this.linkShares?.settled();
  }

  private async waitForDocker(session: LinkSession, timeoutMs: number, signal: AbortSignal): Promise<void> {
    const open = () => session.open('docker');
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        const v = await this.abortable(pingDocker(open, 5000), signal);
        this.dockerVersion = v.version;
        return;
      } catch (e) {
        if (signal.aborted) throw new StartAborted();
        if (Date.now() > deadline) throw new StartFailure(`Docker did not answer in the VM within ${timeoutMs / 1000} s: ${(e as Error).message}`, `see the VM console log: ${this.paths.consoleLog}`);
        await new Promise((r) => setTimeout(r, 300));
      }
    }
  }

  private async serveDocker(signal: AbortSignal): Promise<void> {
    // Bind mounts are checked against the shares this VM mounted (not settings saved since): a path outside
    // them is refused with a message naming the setting, instead of dockerd making an empty folder.
    // On Windows the server is on a private pipe and hvsock-bridge serves the public one (hostDockerEndpoint.ts).
    const { privateEndpoint, ...endpointOptions } = this.driverOptions.dockerEndpoint ?? {};
    const server = new HostDockerEndpoint({
      serverEndpoint: privateEndpoint?.() ?? dockerServerEndpoint(this.paths.dockerSocket),
      openStream: () => this.openGuestStream('docker'),
      log: this.log,
      join: (client, stream) => guardDockerConnection(client, stream, { shares: () => this.applied?.shares ?? [], log: this.log }),
      helperState: (helper, trouble) => this.helperState(helper, trouble),
      ...endpointOptions,
    });
    try {
      await server.listen();
    } catch (e) {
      throw new StartFailure((e as Error).message, e instanceof DockerEndpointError ? e.hint : "another program holds Berth's Docker socket; stop it or remove the file");
    }
    this.dockerServer = server;
    const ctx = await ensureDockerContext(this.paths.dockerSocket);
    this.dockerContext = ctx.ok ? 'berth' : undefined;
    this.log(ctx.ok ? `docker context berth: ${ctx.action}` : ctx.message);
    if (signal.aborted) throw new StartAborted();
  }

  private becameReady(): void {
    this.apply({ type: 'ready' });
    this.health.start();
    this.ports.start();
    this.log(`running: Docker ${this.dockerVersion} on ${this.paths.dockerSocket}${this.adopted ? ' (re-adopted)' : ''}`);
  }

  private abortable<T>(p: Promise<T>, signal: AbortSignal): Promise<T> {
    if (signal.aborted) return Promise.reject(new StartAborted());
    return new Promise<T>((resolve, reject) => {
      const onAbort = (): void => reject(new StartAborted());
      signal.addEventListener('abort', onAbort, { once: true });
      p.then(
        (v) => (signal.removeEventListener('abort', onAbort), resolve(v)),
        (e: unknown) => (signal.removeEventListener('abort', onAbort), reject(e)),
      );
    });
  }

  /** Connect to the driver's end of the guest link (QEMU's or HyperKit's socket, Hyper-V's bridge pipe) and wait for the agent's HELLO. */
  private async connectLink(vm: VmProcess, timeoutMs: number, relinkWanted?: () => boolean): Promise<LinkSession> {
    const wanted = relinkWanted ?? (() => true);
    const driver = this.driver;
    const endpoint = driver?.linkEndpoint() ?? this.paths.guestLinkSocket;
    const label = driver?.label ?? 'QEMU';
    const socket = await new Promise<Socket>((resolve, reject) => {
      const deadline = Date.now() + 10_000;
      const attempt = (): void => {
        if (!wanted()) return reject(new Error('the VM is no longer running'));
        const s = connect(endpoint);
        const onError = (e: Error): void => {
          if (Date.now() > deadline || !vm.running || !wanted()) reject(new StartFailure(`cannot connect to the guest link socket: ${e.message}`, `${label} did not create it; see the console log`));
          else setTimeout(attempt, 100);
        };
        s.once('error', onError);
        // Only a failed connect retries: an error on the connected link later (the VM stopped) must not
        // dial again, or the dial lands on the next VM's socket ahead of its real session.
        s.once('connect', () => {
          s.off('error', onError);
          resolve(s);
        });
      };
      attempt();
    });
    this.linkSocket = socket;
    const session = new LinkSession(socket);
    this.session = session;
    session.on('down', () => this.setDegraded('guest-link', 'the guest link stopped answering pings; berthd keeps trying to reconnect'));
    session.on('up', () => this.setDegraded('guest-link', undefined));
    session.on('protocol-error', (e: Error) => this.log(`guest link protocol error: ${e.message}`));
    let helloSeen = false;
    const hello = new Promise<void>((resolve, reject) => {
      const t = setTimeout(() => reject(new StartFailure(`berth-agent did not answer on the guest link within ${timeoutMs / 1000} s`, `see the VM console log: ${this.paths.consoleLog}`)), timeoutMs);
      session.once('hello', () => (clearTimeout(t), resolve()));
      // A reconnect whose link closes before the HELLO tries again (relink), rather than wait out the timeout.
      if (relinkWanted) session.once('close', () => (clearTimeout(t), reject(new Error('the guest link closed before the agent said HELLO'))));
    });
    session.on('hello', (h) => {
      this.log(`guest agent hello: ${JSON.stringify(h)}`);
      // A HELLO that is not a reply while running: the agent restarted and every stream, the RPC one too, was dropped.
      this.rpcClient?.close();
      this.rpcClient = undefined;
      const first = !helloSeen;
      helloSeen = true;
      // A reconnected link's first HELLO (relink) is not an agent restart.
      if (this.state.state === 'running' && !h.reply && !first) {
        this.setDegraded('agent', 'berth-agent in the VM restarted; reconnecting');
        void this.health.checkDocker();
      }
      // Every HELLO starts a session without streams (the first one, an agent restart, HELLOs that
      // crossed, a silent link restarted): the shares over the link are mounted on it (again).
      void this.linkShares?.mountAll(session);
    });
    session.on('close', () => {
      if (this.state.state !== 'running' || this.session !== session) return;
      this.setDegraded('guest-link', 'the guest link socket closed; berthd is reconnecting');
      this.relink(vm);
    });
    session.start();
    try {
      await hello;
    } catch (e) {
      if (relinkWanted) session.close();
      throw e;
    }
    return session;
  }

  /** Turn the guest kernel's own "I am stuck" console lines into a degraded reason the user can act on. */
  private watchKernel(vm: VmProcess): void {
    vm.console.onLine((line) => {
      const fault = vm === this.vm ? classifyKernelLine(line) : undefined;
      if (!fault) return;
      this.kernelFaultAt = Date.now();
      this.log(`guest kernel: ${line.trim()}`);
      this.setDegraded('guest-kernel', kernelFaultMessage(fault, this.accel?.accel, this.paths.consoleLog));
    });
  }

  /** Docker answers again a minute after the kernel's last stuck report: the guest got over it. */
  private clearPastKernelFault(): void {
    if (this.degraded.has('guest-kernel') && Date.now() - this.kernelFaultAt > KERNEL_FAULT_CLEARS_MS) this.setDegraded('guest-kernel', undefined);
  }

  /**
   * The link's transport closed while the VM runs (Hyper-V: its bridge died and is being restarted, T-26):
   * connect again, with backoff, while this VM runs; the new session's HELLO is the agent's re-HELLO path
   * of re-adoption (streams of the old session are gone; shares are mounted again on the new one).
   */
  private relink(vm: VmProcess): void {
    if (this.relinking) return;
    const wanted = (): boolean => this.state.state === 'running' && this.vm === vm && vm.running;
    this.relinking = (async () => {
      for (let delay = 200; wanted(); delay = Math.min(delay * 2, 5000)) {
        try {
          const t0 = Date.now();
          const session = await this.connectLink(vm, 30_000, wanted);
          if (!wanted()) {
            session.close();
            return;
          }
          this.setDegraded('guest-link', undefined);
          this.log(`guest link reconnected in ${Date.now() - t0} ms`);
          void this.health.checkDocker();
          return;
        } catch (e) {
          if (!wanted()) return;
          this.log(`guest link: reconnecting failed (${(e as Error).message}); trying again in ${delay / 1000} s`);
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    })().finally(() => (this.relinking = undefined));
  }

  /** A supervised helper (hvsock-bridge) went down (why) or serves again (undefined): the `helper` degraded reason. */
  private helperState(helper: string, trouble: string | undefined): void {
    if (trouble === undefined) this.helpersDown.delete(helper);
    else this.helpersDown.set(helper, trouble);
    this.setDegraded('helper', this.helpersDown.size === 0 ? undefined : [...this.helpersDown.values()].join('; '));
  }

  private setDegraded(what: DegradedReason['what'], message: string | undefined): void {
    const had = this.degraded.get(what);
    if (had === message) return;
    if (message === undefined) this.degraded.delete(what);
    else this.degraded.set(what, message);
    if (this.state.state !== 'running') return;
    if (message !== undefined) this.log(`degraded: ${what}: ${message}`);
    else this.log(`recovered: ${what}`);
    this.apply({ type: 'degraded', reasons: [...this.degraded].map(([w, m]) => ({ what: w, message: m })) });
  }

  private onVmExit(q: VmProcess, how: string, stderr: string): void {
    if (q !== this.vm) return;
    if (this.state.state === 'running' || this.state.state === 'starting') {
      const lastLog = q.console.tail(20).split('\n');
      const label = this.driver?.label ?? 'QEMU';
      this.log(`${label} exited unexpectedly (${how})${stderr ? `: ${stderr}` : ''}`);
      this.abort?.abort();
      const failure = /Failed to get "write" lock/.test(stderr)
        ? { reason: `another VM is using Berth's disk ${this.paths.dataDisk}`, hint: 'stop the other Berth or QEMU using it (`pgrep -a qemu-system` lists them), then `berth start`' }
        : {
            reason: `the VM stopped unexpectedly (${label} ${how})${stderr ? `: ${stderr.split('\n')[0]}` : ''}`,
            hint: 'start it again with `berth start`; your images and volumes are on its disk and survive',
          };
      void this.teardown().then(() => this.apply({ type: 'failed', ...failure, lastLog }));
    }
  }

  /** Stop serving Docker on the host: new connections are refused, open ones end. */
  private async closeDockerSocket(): Promise<void> {
    const server = this.dockerServer;
    this.dockerServer = undefined;
    await server?.close();
  }

  private async teardown(): Promise<void> {
    this.health.stop();
    await this.ports.stop();
    await this.closeDockerSocket();
    this.rpcClient?.close();
    this.rpcClient = undefined;
    this.session = undefined;
    this.linkSocket?.destroy();
    this.linkSocket = undefined;
    if (this.vm?.running) await this.vm.kill();
    if (!this.vm?.running) removeVmRecord(this.paths.vmRecord);
    await this.virtiofsd?.stop();
    this.virtiofsd = undefined;
    await this.linkShares?.stop();
    this.linkShares = undefined;
    this.shares = undefined;
    this.degraded.clear();
    this.helpersDown.clear();
    this.applied = undefined;
    this.startedAt = undefined;
  }

  /** Fill the guest's free blocks with discards so the disk image (qcow2, sparse raw) gives the space back to the host. */
  async reclaimDisk(): Promise<{ beforeBytes: number; afterBytes: number; trimmedBytes: number; message: string }> {
    const rpc = this.rpc();
    const driver = this.driver;
    if (!rpc || !driver) throw new StartFailure('the VM is not running', 'start it with `berth start`, then reclaim its disk');
    const before = driver.diskAllocatedBytes() ?? 0;
    const r = await rpc.call<{ trimmedBytes: number }>('disk.trim', {}, 600_000);
    // QEMU punches the holes as the discards arrive: read the file's allocation until it settles.
    let after = driver.diskAllocatedBytes() ?? 0;
    for (let i = 0, still = 0; i < 40 && still < 3; i++) {
      await new Promise((res) => setTimeout(res, 250));
      const now = driver.diskAllocatedBytes() ?? 0;
      still = now === after ? still + 1 : 0;
      after = now;
    }
    const message = `the VM's disk took ${formatSize(before)} on the host and now takes ${formatSize(after)} (${formatSize(Math.max(0, before - after))} given back; the guest trimmed ${formatSize(r.trimmedBytes)})`;
    this.log(`disk reclaim: ${message}`);
    return { beforeBytes: before, afterBytes: after, trimmedBytes: r.trimmedBytes, message };
  }

  /** Stop: cancel a start in progress, or power the VM off (ACPI, then force after the timeout). */
  async stop(timeoutSeconds = 30): Promise<{ graceful: boolean; seconds: number; message: string }> {
    const t0 = Date.now();
    if (this.state.state === 'stopped') return { graceful: true, seconds: 0, message: 'the VM was not running' };
    if (this.state.state === 'error') {
      await this.teardown();
      this.apply({ type: 'stop' });
      return { graceful: true, seconds: 0, message: 'cleared the error state' };
    }
    const wasStarting = this.state.state === 'starting';
    this.apply({ type: 'stop' });
    this.abort?.abort();
    await this.starting?.catch(() => undefined);
    this.health.stop();
    await this.ports.stop();
    await this.closeDockerSocket();
    let graceful = true;
    const vm = this.vm;
    if (vm?.running) {
      if (wasStarting) await vm.kill();
      else {
        try {
          graceful = (await vm.powerdown(timeoutSeconds * 1000)).graceful;
        } catch (e) {
          this.log(`${this.driver?.hostAcpi === false ? 'the agent\'s shutdown' : 'ACPI shutdown'} could not be asked for (${(e as Error).message}); forcing the VM off`);
          await vm.kill();
          graceful = false;
        }
      }
    }
    await this.teardown();
    const seconds = (Date.now() - t0) / 1000;
    const message = wasStarting
      ? `start cancelled; the VM was stopped in ${seconds.toFixed(1)} s`
      : graceful
        ? `the VM shut down cleanly in ${seconds.toFixed(1)} s`
        : `the VM did not shut down within ${timeoutSeconds} s and was forced off`;
    this.apply({ type: 'stopped', lastExit: message });
    this.log(message);
    return { graceful: graceful && !wasStarting, seconds, message };
  }
}
