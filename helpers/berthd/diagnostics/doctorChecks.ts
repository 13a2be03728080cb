// Owns: what `berth doctor` concludes: pure functions from the host's facts (gathered by doctorFacts.ts)
// to checks that each say what was found and, for a warn or fail, the one thing to do about it.
import { doctorReport, worseStatus, type DoctorCheck, type DoctorReport, type DoctorStatus } from '../../api/diagnostics.ts';
import { formatSize, GiB } from '../../api/settings.ts';
import type { VmState } from '../../api/vmState.ts';
import { planAccel, type AccelSetting } from '../hypervisors/accelChoice.ts';
import { hyperkitCheck, hypervCheck, type HyperkitFacts, type HypervFacts } from '../hypervisors/driverDoctor.ts';

/** A program's `--version`: its first line, or why there is none. */
export type ToolFact = { state: 'ok'; version: string } | { state: 'missing' } | { state: 'broken'; error: string };
/** An lstat, in the words the checks need (mode holds the permission bits only). */
export type PathFact =
  | { type: 'missing' }
  | { type: 'unreadable'; error: string }
  | { type: 'file' | 'directory' | 'socket' | 'symlink' | 'other'; mode: number; uid: number; gid: number }
  /** A Windows named pipe found in the pipe list (pipes have no mode or owner a stat could show). */
  | { type: 'pipe' };
/** Berth's Docker endpoint as a unix socket: an lstat of it and of its folder. */
export type UnixSocketFact = { kind?: 'unix'; path: string; pathBytes: number; maxBytes: number; file: PathFact; dir: string; dirFact: PathFact };
/** Berth's Docker endpoint as a Windows named pipe: whether `\\.\pipe\` lists it (never opened, stat'ed or chmod'ed). */
export type PipeFact = { kind: 'pipe'; path: string; listed: boolean } | { kind: 'pipe'; path: string; error: string };
/** What loadSettings reported (a SettingsLoad fits); notes come first-explanation-first, as settingsStore writes them. */
export type DoctorSettingsFact = {
  status: 'ok' | 'missing' | 'corrupt' | 'future';
  notes: string[];
  unknownKeys?: string[];
  reason?: string;
  badFile?: string;
  recoveredFrom?: 'last-good' | 'defaults';
  futureVersion?: number;
};

export type DoctorFacts = {
  platform: NodeJS.Platform;
  /** This user's uid (undefined on Windows). */
  uid: number | undefined;
  home: string;
  qemu: ToolFact;
  qemuImg: ToolFact;
  /** /dev/kvm (followed), whether this user opens it read-write, and run/accel-probe.json's memory of a hang. */
  kvm: { device: PathFact; accessible: boolean; knownHanging: boolean };
  accelSetting: AccelSetting;
  socket: UnixSocketFact | PipeFact;
  docker: {
    cli: ToolFact;
    defaultSocket: string;
    defaultSocketFact: PathFact;
    /** The default socket resolves to Berth's own socket. */
    defaultSocketIsBerth: boolean;
    /** unix://<Berth's docker socket>, what DOCKER_HOST or the `berth` context should say. */
    berthHost: string;
    dockerHost?: string;
    dockerContextEnv?: string;
    config: { path: string; currentContext?: string; error?: string };
    /** The `berth` context's endpoint, undefined when there is no such context. */
    berthContextHost?: string;
  };
  disk: { path: string; freeBytes: number; totalBytes: number } | { path: string; error: string };
  /** Guest clock minus host clock, seconds (positive: the VM is ahead); undefined when the VM is not running. */
  guestClockDriftSeconds?: number;
  settings?: DoctorSettingsFact;
  /** berthd's VM state; undefined when berthd was not asked (not running). */
  vm?: VmState;
  /** macOS: HyperKit; Windows: Hyper-V (or why PowerShell could not say); absent on Linux. */
  hypervisor?: { hyperkit: HyperkitFacts } | { hyperv: HypervFacts } | { hypervError: string };
};

export const MIN_FREE_BYTES = 2 * GiB;
export const LOW_FREE_BYTES = 10 * GiB;
export const MAX_CLOCK_DRIFT_SECONDS = 1;

const octal = (mode: number): string => `0${(mode & 0o777).toString(8).padStart(3, '0')}`;
const ok = (id: string, title: string, detail: string): DoctorCheck => ({ id, title, status: 'ok', detail });
const bad = (id: string, title: string, status: DoctorStatus, detail: string, fix: string): DoctorCheck => ({ id, title, status, detail, fix });

export function doctorChecks(f: DoctorFacts): DoctorCheck[] {
  return [
    qemuCheck(f), qemuImgCheck(f), accelCheck(f), socketCheck(f),
    dockerCliCheck(f), defaultSocketCheck(f), dockerHostCheck(f), dockerContextCheck(f),
    diskCheck(f), clockCheck(f), settingsCheck(f), vmCheck(f),
    ...(f.hypervisor ? [hypervisorCheck(f.hypervisor)] : []),
  ];
}

function hypervisorCheck(h: NonNullable<DoctorFacts['hypervisor']>): DoctorCheck {
  if ('hyperkit' in h) return hyperkitCheck(h.hyperkit);
  if ('hyperv' in h) return hypervCheck(h.hyperv);
  return bad('hypervisor', 'Hypervisor', 'warn', `Windows did not say whether Hyper-V is on (${h.hypervError})`, 'run `berth doctor` again from a PowerShell window; until Hyper-V answers, Berth uses QEMU with WHPX');
}

export function doctor(f: DoctorFacts): DoctorReport {
  return doctorReport(doctorChecks(f));
}

// ---- 1. QEMU ----

function installQemu(platform: NodeJS.Platform): string {
  if (platform === 'darwin') return 'install QEMU: brew install qemu';
  if (platform === 'win32') return 'install QEMU from https://www.qemu.org/download/#windows and add its folder to PATH';
  return 'install qemu-system-x86 and qemu-utils: sudo apt-get install qemu-system-x86 qemu-utils (Fedora: sudo dnf install qemu-system-x86 qemu-img)';
}

function toolCheck(id: string, title: string, tool: ToolFact, name: string, role: string, fix: string): DoctorCheck {
  if (tool.state === 'ok') return ok(id, title, `${name}: ${tool.version}`);
  if (tool.state === 'missing') return bad(id, title, 'fail', `${name} is not installed (not found on PATH), and Berth needs it ${role}`, `${fix}, then run berth doctor again`);
  return bad(id, title, 'fail', `${name} is installed but \`${name} --version\` failed (${tool.error}), and Berth needs it ${role}`, `reinstall it: ${fix}`);
}

function qemuCheck(f: DoctorFacts): DoctorCheck {
  return toolCheck('qemu', 'QEMU', f.qemu, 'qemu-system-x86_64', 'to run the VM', installQemu(f.platform));
}

function qemuImgCheck(f: DoctorFacts): DoctorCheck {
  return toolCheck('qemu-img', 'qemu-img', f.qemuImg, 'qemu-img', "to create and grow the VM's disk", installQemu(f.platform));
}

// ---- 2. acceleration ----

function accelCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['accel', 'Acceleration'];
  const { kvm, accelSetting: setting } = f;
  if (f.platform !== 'linux') {
    const plan = planAccel(setting, { platform: f.platform, kvmUsable: false, kvmKnownHanging: false });
    if (plan.first !== 'tcg') return ok(id, title, `${plan.first.toUpperCase()} (${plan.why})`);
    return bad(id, title, 'warn', `TCG emulation, slower (${plan.why})`, 'set accel to auto in settings to use the hardware accelerator');
  }
  if (setting === 'hvf' || setting === 'whpx') {
    return bad(id, title, 'fail', `accel is set to ${setting}, which Linux does not have: QEMU will not start`, 'set accel to auto (or kvm) in settings');
  }
  if (setting === 'tcg') return ok(id, title, 'TCG emulation, slower: accel is set to tcg in settings' + (kvm.accessible ? ' (KVM is usable here; auto would use it)' : ''));
  const strict = setting === 'kvm';
  const slower = strict ? 'the VM will not start while accel is set to kvm' : 'Berth runs the VM with TCG emulation, which works but is several times slower';
  const orAuto = strict ? '; or set accel to auto in settings to fall back to TCG' : '';
  if (kvm.device.type === 'missing') {
    return bad(id, title, strict ? 'fail' : 'warn', `there is no /dev/kvm: ${slower}`,
      `enable virtualisation (Intel VT-x or AMD-V) in the firmware settings, or nested virtualisation if this host is itself a VM, then load KVM: sudo modprobe kvm_intel (or kvm_amd)${orAuto}`);
  }
  if (!kvm.accessible) {
    const d = kvm.device;
    const groupOpen = 'mode' in d && (d.mode & 0o060) === 0o060;
    const shown = 'mode' in d ? ` (mode ${octal(d.mode)}, group ${d.gid})` : '';
    const fix = groupOpen
      ? 'add yourself to its group: sudo usermod -aG kvm $USER, then log out and back in'
      : '/dev/kvm is open to root only: sudo chgrp kvm /dev/kvm && sudo chmod 0660 /dev/kvm (your distribution\'s udev rule for kvm makes it last), then sudo usermod -aG kvm $USER and log out and back in';
    return bad(id, title, strict ? 'fail' : 'warn', `/dev/kvm exists but this user (uid ${f.uid ?? '?'}) cannot open it read-write${shown}: ${slower}`, `${fix}${orAuto}`);
  }
  if (kvm.knownHanging) {
    const what = 'KVM hung or failed on an earlier start since this host booted (remembered in run/accel-probe.json)';
    const fix = 'if this host is a VM, enable nested virtualisation for it, or look for kvm errors in `sudo dmesg`; Berth tries KVM again after the host restarts';
    if (strict) return bad(id, title, 'warn', `${what}, and accel is set to kvm: the VM may hang while booting`, `${fix}; or set accel to auto in settings to fall back to TCG`);
    return bad(id, title, 'warn', `${what}, so Berth falls back to TCG emulation, which is slower`, fix);
  }
  return ok(id, title, `KVM: /dev/kvm is usable by this user${strict ? ' (accel is set to kvm)' : ''}`);
}

// ---- 3. Berth's docker socket ----

/**
 * Berth's Docker pipe on Windows: served while the VM runs (by hvsock-bridge, whose DACL keeps other users
 * out: nothing here to chmod), free while it is stopped. Its ACL cannot be read from Node: not checked.
 */
function pipeCheck(f: DoctorFacts, p: PipeFact): DoctorCheck {
  const [id, title] = ['docker-socket', "Berth's Docker pipe"];
  const running = f.vm?.state === 'running';
  if ('error' in p) return bad(id, title, 'warn', `the named pipes of this machine could not be listed (${p.error}), so whether ${p.path} is served is unknown`, 'run berth doctor again; if it persists, berth restart');
  if (running && p.listed) return ok(id, title, `${p.path} is served (by Berth's hvsock-bridge, for this user, SYSTEM and Administrators only)`);
  if (running) return bad(id, title, 'warn', `${p.path} is not served: the VM runs but Docker is not served on the host`, 'berth restart; if it stays so, see hvsock-bridge in berthd\'s log');
  if (p.listed) {
    return bad(id, title, f.vm ? 'fail' : 'warn', `${p.path} is served while Berth's VM ${f.vm ? 'is not running' : 'may not be running (berthd did not answer)'}: another program (maybe another user's Berth) holds it, and Berth cannot serve Docker there`, "stop that program or the other user's Berth, then berth start");
  }
  return ok(id, title, `${p.path} is free: it is served when the VM runs`);
}

function socketCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['docker-socket', "Berth's Docker socket"];
  if (f.socket.kind === 'pipe') return pipeCheck(f, f.socket);
  const s = f.socket;
  const found: { status: DoctorStatus; detail: string; fix?: string }[] = [];
  const add = (status: DoctorStatus, detail: string, fix?: string) => found.push({ status, detail, ...(fix ? { fix } : {}) });
  const notMine = (uid: number) => f.uid !== undefined && uid !== f.uid;
  const running = f.vm?.state === 'running';
  if (s.pathBytes > s.maxBytes) {
    add('fail', `${s.path} is ${s.pathBytes} bytes, over this OS's ${s.maxBytes}-byte limit for a socket path`, 'set BERTH_HOME (or TMPDIR, where Berth puts its sockets when BERTH_HOME is long) to a shorter path');
  }
  const d = s.dirFact;
  if (d.type === 'missing') {
    add(running ? 'warn' : 'ok', `${s.dir} does not exist: ${running ? 'the VM runs but its socket folder is gone' : 'it is created when the VM runs'}`, running ? 'berth restart' : undefined);
  } else if (d.type === 'unreadable') {
    add('fail', `${s.dir} cannot be read (${d.error})`, `check the permissions of ${s.dir} and the folders above it`);
  } else if (d.type !== 'directory') {
    add('fail', `${s.dir} is a ${d.type}, not a folder: Berth will not put its sockets there`, `move ${s.dir} away while Berth is stopped; berthd makes the folder at the next start`);
  } else if (notMine(d.uid)) {
    add('fail', `${s.dir} belongs to another user (uid ${d.uid})`, `remove it (sudo rm -r ${s.dir}) and start Berth again as this user`);
  } else if ((d.mode & 0o077) !== 0) {
    add('fail', `${s.dir} has mode ${octal(d.mode)}: other users can reach Berth's sockets`, `chmod 700 ${s.dir} (berthd also sets it at the next start)`);
  } else {
    const file = s.file;
    if (file.type === 'missing') {
      add(running ? 'warn' : 'ok', `${s.path} is absent: ${running ? 'the VM runs but Docker is not served on the host' : 'it is created when the VM runs'}`, running ? 'berth restart' : undefined);
    } else if (file.type === 'unreadable') {
      add('fail', `${s.path} cannot be read (${file.error})`, `check the permissions of ${s.dir}`);
    } else if (file.type !== 'socket') {
      add('fail', `${s.path} is a ${file.type}, not a socket: Berth will not start over it`, `move ${s.path} away, then berth start`);
    } else if (notMine(file.uid)) {
      add('fail', `${s.path} belongs to another user (uid ${file.uid})`, `stop that user's program, remove ${s.path} and berth restart`);
    } else if ((file.mode & 0o077) !== 0) {
      add('warn', `${s.path} has mode ${octal(file.mode)} rather than 0600 (its 0700 folder still keeps other users out)`, `chmod 600 ${s.path}`);
    } else {
      add('ok', `${s.path}: a socket, mode 0600, in a 0700 folder owned by this user`);
    }
  }
  const status = found.reduce<DoctorStatus>((w, x) => worseStatus(w, x.status), 'ok');
  const detail = `${found.map((x) => x.detail).join('; ')} (path ${s.pathBytes} of ${s.maxBytes} bytes)`;
  const fixes = found.flatMap((x) => (x.status !== 'ok' && x.fix ? [x.fix] : []));
  return status === 'ok' ? ok(id, title, detail) : bad(id, title, status, detail, fixes.join('; '));
}

// ---- 4. other Docker engines and the docker CLI's choice ----

function dockerCliCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['docker-cli', 'docker CLI'];
  const cli = f.docker.cli;
  const install =
    f.platform === 'darwin' ? 'brew install docker' : f.platform === 'win32' ? 'install the docker CLI (docker.exe) and add it to PATH' : 'sudo apt-get install docker.io (or docker-ce-cli from Docker\'s apt repository)';
  if (cli.state === 'ok') return ok(id, title, cli.version);
  const then = 'then berth restart so that berthd creates the `berth` context';
  if (cli.state === 'missing') return bad(id, title, 'warn', 'the docker CLI is not installed: Berth runs Docker Engine in the VM, but you need a Docker client to use it', `${install}, ${then}`);
  return bad(id, title, 'warn', `docker is installed but \`docker --version\` failed (${cli.error})`, `reinstall it: ${install}, ${then}`);
}

function defaultSocketCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['docker-default-socket', 'Other Docker engines'];
  const { defaultSocket: path, defaultSocketFact: fact } = f.docker;
  if (fact.type === 'missing') return ok(id, title, `${path} does not exist: no other Docker engine serves the default socket`);
  if (f.docker.defaultSocketIsBerth) return ok(id, title, `${path} leads to Berth's socket`);
  return bad(id, title, 'warn', `${path} exists (a ${fact.type}) and is not Berth's: another Docker engine (Docker Engine, Docker Desktop, Podman) serves it. Berth leaves it alone, and docker's default context talks to it, not to Berth`,
    'docker context use berth (docker context use default goes back to the other engine)');
}

function dockerHostCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['docker-host', 'DOCKER_HOST'];
  const { dockerHost, berthHost } = f.docker;
  if (dockerHost === undefined) return ok(id, title, 'DOCKER_HOST is not set: the docker CLI follows its contexts');
  if (dockerHost === berthHost) return ok(id, title, `DOCKER_HOST=${dockerHost} is Berth's socket`);
  return bad(id, title, 'warn', `DOCKER_HOST=${dockerHost} is set in this environment; it overrides docker contexts, so docker talks to that, not to Berth (even after docker context use berth)`,
    `unset DOCKER_HOST (and remove it from your shell profile), or set DOCKER_HOST=${berthHost}`);
}

function dockerContextCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['docker-context', 'docker context'];
  const dk = f.docker;
  if (dk.cli.state === 'missing') return ok(id, title, 'not checked: the docker CLI is not installed');
  if (dk.dockerHost !== undefined) return ok(id, title, 'not used: DOCKER_HOST overrides the docker context');
  if (dk.config.error !== undefined) {
    return bad(id, title, 'warn', `${dk.config.path} could not be read (${dk.config.error}), so the docker CLI may not read it either`, `fix or move away ${dk.config.path}, then docker context use berth`);
  }
  const current = dk.dockerContextEnv ?? dk.config.currentContext ?? 'default';
  const from = dk.dockerContextEnv !== undefined ? 'DOCKER_CONTEXT in this environment' : dk.config.currentContext !== undefined ? dk.config.path : 'no context chosen';
  if (current === 'berth') {
    if (dk.berthContextHost === undefined) return bad(id, title, 'fail', `docker's current context is berth (${from}) but there is no berth context, so docker commands fail`, 'berth start: berthd creates the berth context when the VM starts');
    if (dk.berthContextHost !== dk.berthHost) return bad(id, title, 'warn', `the berth context points at ${dk.berthContextHost}, not at Berth's socket ${dk.berthHost}`, 'berth restart: berthd updates the berth context when the VM starts');
    return ok(id, title, `docker uses the berth context (${from})`);
  }
  const missing = dk.berthContextHost === undefined ? ' (the berth context is created when the VM first starts)' : '';
  const fix = dk.dockerContextEnv !== undefined ? 'unset DOCKER_CONTEXT, or set DOCKER_CONTEXT=berth' : 'docker context use berth (or docker --context berth … for one command)';
  return bad(id, title, 'warn', `docker's current context is ${current} (${from}), so plain docker commands do not go to Berth${missing}`, fix);
}

// ---- 5. host disk ----

function diskCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['host-disk', 'Host disk space'];
  const d = f.disk;
  if ('error' in d) return bad(id, title, 'warn', `Berth could not read the free space of ${d.path} (${d.error})`, `check that ${d.path} exists and is readable`);
  const detail = `${formatSize(d.freeBytes)} free of ${formatSize(d.totalBytes)} on the disk holding ${f.home}`;
  const fix = `free space on that disk (the VM's disk grows as images and volumes are added), or stop Berth, move ${f.home} to a bigger disk and set BERTH_HOME to the new place`;
  if (d.freeBytes < MIN_FREE_BYTES) return bad(id, title, 'fail', `${detail}: under ${formatSize(MIN_FREE_BYTES)}, Docker's writes in the VM will fail`, fix);
  if (d.freeBytes < LOW_FREE_BYTES) return bad(id, title, 'warn', `${detail}: under ${formatSize(LOW_FREE_BYTES)}, pulls and builds may run out of space`, fix);
  return ok(id, title, detail);
}

// ---- 6. guest clock ----

function clockCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['guest-clock', "VM's clock"];
  const drift = f.guestClockDriftSeconds;
  if (drift === undefined) return ok(id, title, 'VM not running, not checked');
  const shown = `${Math.abs(drift).toFixed(2)} s ${drift >= 0 ? 'ahead of' : 'behind'} the host's`;
  if (Math.abs(drift) <= MAX_CLOCK_DRIFT_SECONDS) return ok(id, title, `the VM's clock is ${shown}`);
  return bad(id, title, 'fail', `the VM's clock is ${shown} (more than ${MAX_CLOCK_DRIFT_SECONDS} s): TLS, make and log times go wrong`, 'berth restart, or wait: berthd corrects it within a minute');
}

// ---- 7. settings ----

function settingsCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['settings', 'Settings'];
  const s = f.settings;
  if (s === undefined) return ok(id, title, 'not checked');
  // For corrupt and future, settingsStore's first note is the explanation given here in full.
  const extra = s.status === 'corrupt' || s.status === 'future' ? s.notes.slice(1) : s.notes;
  const withNotes = (main: string) => (extra.length > 0 ? `${main}. ${extra.join('. ')}` : main);
  if (s.status === 'corrupt') {
    const using = s.recoveredFrom === 'last-good' ? 'the last good settings' : 'the default settings';
    if (s.badFile !== undefined) {
      return bad(id, title, 'fail', withNotes(`settings.json ${s.reason ?? 'is damaged'}: Berth kept it as ${s.badFile} and uses ${using}`),
        `fix ${s.badFile} and copy it over settings.json while Berth is not running, or change a setting to save fresh settings`);
    }
    return bad(id, title, 'fail', withNotes(`settings.json ${s.reason ?? 'is damaged'}, and Berth could not set it aside: it uses ${using} and cannot save settings`),
      'move settings.json away while Berth is not running, then change a setting to save fresh settings');
  }
  if (s.status === 'future') {
    return bad(id, title, 'warn', withNotes(`settings.json was written by a newer Berth (settings version ${s.futureVersion ?? '?'}): this Berth uses what it understands and will not change it`),
      'update Berth to change settings');
  }
  if (s.unknownKeys !== undefined && s.unknownKeys.length > 0) {
    return bad(id, title, 'warn', withNotes(`settings.json is valid but has keys this Berth does not know (${s.unknownKeys.join(', ')})`), 'check their spelling, or remove them: they are dropped at the next save');
  }
  if (s.status === 'missing') return ok(id, title, withNotes('no settings.json: Berth uses the default settings and writes the file at the first change'));
  return ok(id, title, withNotes('settings.json is valid'));
}

// ---- 8. VM state ----

function vmCheck(f: DoctorFacts): DoctorCheck {
  const [id, title] = ['vm', 'VM'];
  const vm = f.vm;
  if (vm === undefined) return ok(id, title, 'berthd is not running, so the VM is stopped');
  switch (vm.state) {
    case 'stopped':
      return ok(id, title, `stopped${vm.lastExit ? ` (last exit: ${vm.lastExit})` : ''}`);
    case 'starting':
      return ok(id, title, `starting: ${vm.phase}`);
    case 'stopping':
      return ok(id, title, 'stopping');
    case 'running':
      if (vm.degraded.length === 0) return ok(id, title, 'running');
      return bad(id, title, 'warn', `running, degraded: ${vm.degraded.map((r) => `${r.what}: ${r.message}`).join('; ')}`, `berth restart; if it stays degraded, see the logs in ${f.home}/logs`);
    case 'error': {
      const last = vm.lastLog.filter((l) => l.trim() !== '').at(-1);
      return bad(id, title, 'fail', `the last start failed: ${vm.reason}${last ? ` (console: ${last})` : ''}`, vm.hint);
    }
  }
}
