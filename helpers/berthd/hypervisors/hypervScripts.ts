// Pure builders of the Hyper-V PowerShell scripts. Each script is a header naming the operation, a
// parameter block of literals (psLiteral.ts) and a fixed body that only reads those variables: no
// value is ever spliced into code, and the bodies are golden-tested. docs/drivers.md explains the choices.
import { HYPERV_SCSI } from './guestBootParams.ts';
import { hvsockServiceGuid } from './guestLinkParams.ts';
import { encodeCommand, psParams } from './psLiteral.ts';

export type HypervOp = 'hostFacts' | 'ensureDisk' | 'create' | 'configure' | 'start' | 'state' | 'stop' | 'turnOff' | 'remove' | 'serviceRegistered' | 'registerService' | 'elevated';

/** Where the guest communication services are registered (needs an administrator, once per GUID). */
export const GUEST_COMMUNICATION_SERVICES = 'HKLM:\\SOFTWARE\\Microsoft\\Windows NT\\CurrentVersion\\Virtualization\\GuestCommunicationServices';

/** Said to the user before the one elevated prompt Berth asks for on Windows. */
export const HVSOCK_REGISTRATION_WHY =
  'Berth talks to its VM over a Hyper-V socket. Windows allows that only for a service GUID registered in the registry ' +
  '(HKLM, GuestCommunicationServices), which needs an administrator once. Berth registers one GUID and nothing else.';

export type HypervVmSpec = {
  name: string;
  /** Folder New-VM keeps the VM's configuration in. */
  vmDir: string;
  cpus: number;
  memoryMiB: number;
  /** The VHDX data disk (ensureDisk creates and grows it). */
  dataDisk: string;
  /**
   * The config disk: a fixed VHD berthd writes before each start (fixedVhd.ts), attached writable (Hyper-V
   * has no read-only hard disks; the guest never writes it).
   */
  configDisk: string;
  /** The boot medium: an ISO whose EFI loader starts our kernel + initrd (docs/drivers.md). */
  bootIso: string;
  /** The COM1 named pipe berthd copies into the console log (\\.\pipe\...). */
  consolePipe: string;
  /** Hyper-V's NAT switch; 'Default Switch' exists on Windows 10 1709 and later. */
  switchName: string;
};

const PRELUDE = ["$ErrorActionPreference = 'Stop'", "$ProgressPreference = 'SilentlyContinue'"].join('\n');

/** Finds the VM by exact, case-sensitive name: Get-VM -Name would read [ ] * ? as wildcards. */
const FIND_VM = [
  '$vm = @(Get-VM | Where-Object { $_.Name -ceq $Name })',
  "if ($vm.Count -gt 1) { throw ('more than one Hyper-V VM is named {0}; rename or remove the others' -f $Name) }",
].join('\n');
const REQUIRE_VM = `${FIND_VM}\nif ($vm.Count -eq 0) { throw ('there is no Hyper-V VM named {0}' -f $Name) }\n$vm = $vm[0]`;
const EMIT_STATE = [
  'if ($vm.Count -eq 0) { [pscustomobject]@{ state = \'Missing\' } | ConvertTo-Json -Compress; exit 0 }',
  '$v = @($vm)[0]',
  '[pscustomobject]@{ state = $v.State.ToString(); id = $v.Id.ToString(); uptimeSeconds = [int]$v.Uptime.TotalSeconds; cpus = $v.ProcessorCount; memoryBytes = $v.MemoryStartup } | ConvertTo-Json -Compress',
].join('\n');

function script(op: HypervOp, params: Parameters<typeof psParams>[0], body: string): string {
  const p = psParams(params);
  return `# berth-hyperv:${op}\n${PRELUDE}\n${p}${p ? '\n' : ''}${body}\n`;
}

function checkName(name: string): string {
  if (name.trim() === '' || name.length > 100) throw new Error(`the Hyper-V VM name must be 1–100 characters, not ${JSON.stringify(name)}`);
  return name;
}

/** Paths reach Hyper-V cmdlets whose -Path reads [ ] as wildcards and that have no -LiteralPath. */
function checkPath(what: string, path: string): string {
  if (!/^([A-Za-z]:\\|\\\\[^\\]+\\[^\\]+\\)/.test(path)) throw new Error(`${what} must be an absolute Windows path like C:\\Users\\you\\..., not ${JSON.stringify(path)}`);
  if (/[[\]*?"<>|]/.test(path.slice(2))) throw new Error(`${what} ${JSON.stringify(path)} holds [ ] * ? " < > or |: Hyper-V's cmdlets read some as wildcards and Windows forbids the others; choose a folder without them (set BERTH_HOME)`);
  return path;
}

function checkPipe(path: string): string {
  if (!/^\\\\\.\\pipe\\[A-Za-z0-9_.-]{1,200}$/.test(path)) throw new Error(`${JSON.stringify(path)} is not a pipe name like \\\\.\\pipe\\berth_console`);
  return path;
}

/** What `doctor` needs on Windows: edition, administrator, Hyper-V's service, a running hypervisor. */
export function hostFactsScript(): string {
  return script('hostFacts', {}, [
    '$id = [Security.Principal.WindowsIdentity]::GetCurrent()',
    '$p = New-Object Security.Principal.WindowsPrincipal($id)',
    '$vmms = Get-Service -Name vmms -ErrorAction SilentlyContinue',
    '$os = Get-CimInstance -ClassName Win32_OperatingSystem',
    '$cs = Get-CimInstance -ClassName Win32_ComputerSystem',
    '[pscustomobject]@{',
    '  edition = [string]$os.Caption',
    '  build = [string]$os.BuildNumber',
    '  isAdmin = $p.IsInRole([Security.Principal.WindowsBuiltInRole]::Administrator)',
    "  inHyperVAdministrators = $p.IsInRole((New-Object Security.Principal.SecurityIdentifier('S-1-5-32-578')))",
    "  vmms = $(if ($vmms) { $vmms.Status.ToString() } else { 'Missing' })",
    '  hypervisorPresent = [bool]$cs.HypervisorPresent',
    "  hypervModule = [bool](Get-Command -Name New-VM -ErrorAction SilentlyContinue)",
    '} | ConvertTo-Json -Compress',
  ].join('\n'));
}

/** Create the VHDX (dynamic: it grows as the guest writes) or grow it to `sizeBytes`; never shrink it. */
export function ensureDiskScript(path: string, sizeBytes: number): string {
  if (sizeBytes % (1024 * 1024) !== 0) throw new Error(`the VHDX size must be whole MiB, not ${sizeBytes} bytes`);
  return script('ensureDisk', { Path: { s: checkPath('the data disk', path) }, SizeBytes: { n: sizeBytes } }, [
    'if (Test-Path -LiteralPath $Path) {',
    '  $before = (Get-VHD -Path $Path).Size',
    "  if ($before -lt $SizeBytes) { Resize-VHD -Path $Path -SizeBytes $SizeBytes; $action = 'grown' }",
    "  elseif ($before -gt $SizeBytes) { $action = 'kept-larger' }",
    "  else { $action = 'unchanged' }",
    '} else {',
    '  New-VHD -Path $Path -SizeBytes $SizeBytes -Dynamic | Out-Null',
    "  $action = 'created'",
    '}',
    '[pscustomobject]@{ action = $action; sizeBytes = (Get-VHD -Path $Path).Size } | ConvertTo-Json -Compress',
  ].join('\n'));
}


function checkSize(s: Pick<HypervVmSpec, 'cpus' | 'memoryMiB'>): void {
  if (!Number.isInteger(s.cpus) || s.cpus < 1) throw new Error(`cpus must be a whole number ≥ 1, got ${s.cpus}`);
  if (!Number.isInteger(s.memoryMiB) || s.memoryMiB < 512 || s.memoryMiB % 2 !== 0) throw new Error(`Hyper-V memory must be an even number of MiB, at least 512, not ${s.memoryMiB}`);
}

/**
 * A Generation 2 VM (UEFI, synthetic devices only) with Secure Boot off — our kernel is not signed
 * by a key Hyper-V's firmware trusts — booting the ISO first, with the data disk, static memory, COM1
 * on a pipe for the console, no checkpoints, and shut down (not saved) when the host stops.
 */
export function createScript(s: HypervVmSpec): string {
  checkSize(s);
  return script(
    'create',
    {
      Name: { s: checkName(s.name) },
      VmDir: { s: checkPath('the VM folder', s.vmDir) },
      Cpus: { n: s.cpus },
      MemoryBytes: { n: s.memoryMiB * 1024 * 1024 },
      DataDisk: { s: checkPath('the data disk', s.dataDisk) },
      ConfigDisk: { s: checkPath('the config disk', s.configDisk) },
      BootIso: { s: checkPath('the boot ISO', s.bootIso) },
      ConsolePipe: { s: checkPipe(s.consolePipe) },
      SwitchName: { s: s.switchName },
    },
    [
      FIND_VM,
      "if ($vm.Count -gt 0) { throw ('a Hyper-V VM named {0} already exists' -f $Name) }",
      '$vm = New-VM -Name $Name -Generation 2 -MemoryStartupBytes $MemoryBytes -NoVHD -Path $VmDir',
      'Set-VM -VM $vm -ProcessorCount $Cpus -StaticMemory -AutomaticCheckpointsEnabled $false -CheckpointType Disabled -AutomaticStartAction Nothing -AutomaticStopAction ShutDown',
      'Set-VMFirmware -VM $vm -EnableSecureBoot Off',
      `$dvd = Add-VMDvdDrive -VM $vm -ControllerNumber ${HYPERV_SCSI.controller} -ControllerLocation ${HYPERV_SCSI.isoLocation} -Path $BootIso -Passthru`,
      `Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber ${HYPERV_SCSI.controller} -ControllerLocation ${HYPERV_SCSI.dataLocation} -Path $DataDisk`,
      `Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber ${HYPERV_SCSI.controller} -ControllerLocation ${HYPERV_SCSI.configLocation} -Path $ConfigDisk`,
      'Set-VMFirmware -VM $vm -FirstBootDevice $dvd',
      'Set-VMComPort -VM $vm -Number 1 -Path $ConsolePipe',
      '$sw = @(Get-VMSwitch | Where-Object { $_.Name -ceq $SwitchName })',
      "if ($sw.Count -eq 0) { throw ('there is no Hyper-V switch named {0}' -f $SwitchName) }",
      'Get-VMNetworkAdapter -VM $vm | Connect-VMNetworkAdapter -VMSwitch $sw[0]',
      '[pscustomobject]@{ id = $vm.Id.ToString(); name = $vm.Name } | ConvertTo-Json -Compress',
    ].join('\n'),
  );
}

/**
 * Bring an existing, stopped VM to the spec before a start: CPUs and memory as set now (Hyper-V takes
 * them only while the VM is off), the boot ISO of this Berth (it changes with every image update), and
 * the config disk at its location — added to a VM created before Berth had one, set again otherwise.
 */
export function configureScript(s: HypervVmSpec): string {
  checkSize(s);
  return script(
    'configure',
    {
      Name: { s: checkName(s.name) },
      Cpus: { n: s.cpus },
      MemoryBytes: { n: s.memoryMiB * 1024 * 1024 },
      BootIso: { s: checkPath('the boot ISO', s.bootIso) },
      ConfigDisk: { s: checkPath('the config disk', s.configDisk) },
    },
    [
      REQUIRE_VM,
      "if ($vm.State -ne 'Off') { throw ('the Hyper-V VM {0} is {1}; it must be off to be configured' -f $Name, $vm.State) }",
      'Set-VM -VM $vm -ProcessorCount $Cpus -StaticMemory -MemoryStartupBytes $MemoryBytes',
      `$dvd = @(Get-VMDvdDrive -VM $vm | Where-Object { $_.ControllerNumber -eq ${HYPERV_SCSI.controller} -and $_.ControllerLocation -eq ${HYPERV_SCSI.isoLocation} })`,
      "if ($dvd.Count -eq 0) { throw ('the Hyper-V VM {0} has no DVD drive for the boot ISO; remove that VM so that Berth creates it again' -f $Name) }",
      'Set-VMDvdDrive -VMDvdDrive $dvd[0] -Path $BootIso',
      `$cfg = @(Get-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber ${HYPERV_SCSI.controller} -ControllerLocation ${HYPERV_SCSI.configLocation})`,
      `if ($cfg.Count -eq 0) { Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber ${HYPERV_SCSI.controller} -ControllerLocation ${HYPERV_SCSI.configLocation} -Path $ConfigDisk }`,
      'else { Set-VMHardDiskDrive -VMHardDiskDrive $cfg[0] -Path $ConfigDisk }',
      '$vm = @(Get-VM -Id $vm.Id)',
      EMIT_STATE,
    ].join('\n'),
  );
}

export function startScript(name: string): string {
  return script('start', { Name: { s: checkName(name) } }, `${REQUIRE_VM}\nStart-VM -VM $vm\n$vm = @(Get-VM -Id $vm.Id)\n${EMIT_STATE}`);
}

export function stateScript(name: string): string {
  return script('state', { Name: { s: checkName(name) } }, `${FIND_VM}\n${EMIT_STATE}`);
}

/** Ask the guest to shut down (the shutdown integration service, hv_utils in the guest), without waiting. */
export function stopScript(name: string): string {
  return script('stop', { Name: { s: checkName(name) } }, `${REQUIRE_VM}\nStop-VM -VM $vm -Force -AsJob | Out-Null\n$vm = @(Get-VM -Id $vm.Id)\n${EMIT_STATE}`);
}

/** Power off at once, like pulling the plug. */
export function turnOffScript(name: string): string {
  return script('turnOff', { Name: { s: checkName(name) } }, `${REQUIRE_VM}\nStop-VM -VM $vm -TurnOff -Force\n$vm = @(Get-VM -Id $vm.Id)\n${EMIT_STATE}`);
}

/** Remove the VM's definition; its disk and the boot ISO stay. */
export function removeScript(name: string): string {
  return script('remove', { Name: { s: checkName(name) } }, `${FIND_VM}\nforeach ($v in $vm) { if ($v.State -ne 'Off') { Stop-VM -VM $v -TurnOff -Force }; Remove-VM -VM $v -Force }\n[pscustomobject]@{ removed = $vm.Count } | ConvertTo-Json -Compress`);
}

export function serviceRegisteredScript(port?: number): string {
  return script('serviceRegistered', { Key: { s: GUEST_COMMUNICATION_SERVICES }, ServiceGuid: { s: hvsockServiceGuid(port) } }, [
    '[pscustomobject]@{ registered = (Test-Path -LiteralPath (Join-Path $Key $ServiceGuid)) } | ConvertTo-Json -Compress',
  ].join('\n'));
}

/** Register the guest link's service GUID (run elevated, once; see elevatedArgv). */
export function registerServiceScript(port?: number): string {
  return script('registerService', { Key: { s: GUEST_COMMUNICATION_SERVICES }, ServiceGuid: { s: hvsockServiceGuid(port) }, Description: { s: 'Berth guest link (berth-agent)' } }, [
    '$item = Join-Path $Key $ServiceGuid',
    'if (-not (Test-Path -LiteralPath $item)) { New-Item -Path $Key -Name $ServiceGuid | Out-Null }',
    "New-ItemProperty -LiteralPath $item -Name 'ElementName' -Value $Description -PropertyType String -Force | Out-Null",
    '[pscustomobject]@{ registered = $true } | ConvertTo-Json -Compress',
  ].join('\n'));
}

/**
 * A script that starts `inner` in an elevated PowerShell (one UAC prompt) and waits for it. The inner
 * script travels as -EncodedCommand base64, which holds only [A-Za-z0-9+/=]: nothing to quote.
 */
export function elevatedScript(inner: string): string {
  return script('elevated', { Encoded: { s: encodeCommand(inner) } }, [
    "$proc = Start-Process -FilePath 'powershell.exe' -Verb RunAs -Wait -PassThru -ArgumentList @('-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', $Encoded)",
    '[pscustomobject]@{ exitCode = $proc.ExitCode } | ConvertTo-Json -Compress',
  ].join('\n'));
}
