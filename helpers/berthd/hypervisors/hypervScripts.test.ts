// Golden tests of every Hyper-V PowerShell script for a matrix of specs with hostile names, and the
// literal rules: each value is one single-quoted string PowerShell reads back exactly (T-44).
import { describe, expect, it } from 'vitest';
import {
  configureScript, createScript, elevatedScript, ensureDiskScript, hostFactsScript, registerServiceScript, removeScript,
  serviceRegisteredScript, startScript, stateScript, stopScript, turnOffScript, type HypervVmSpec,
} from './hypervScripts.ts';
import { driverCmdline } from './guestBootParams.ts';
import { encodeCommand, powershellArgv, psParams, psString } from './psLiteral.ts';

/** PowerShell's reading of a single-quoted string: any of ' ‘ ’ ‚ ‛ closes it unless doubled. */
function readBack(literal: string): string {
  const m = /^'((?:[^'\u2018\u2019\u201a\u201b]|['\u2018\u2019\u201a\u201b]{2})*)'$/u.exec(literal);
  if (!m) throw new Error(`not one single-quoted string: ${literal}`);
  return m[1]!.replace(/(['\u2018\u2019\u201a\u201b])['\u2018\u2019\u201a\u201b]/gu, '$1');
}

const NAMES: Record<string, string> = {
  plain: 'berth',
  subexpression: 'berth $(Remove-Item -Recurse C:\\) @(1) ${env:USERNAME}',
  backtick: 'berth `$(calc)` `n',
  semicolon: "berth'; Stop-Computer; '",
  'unicode-quotes': 'berth ‘single’ ‚low‛ “double” „low” ü',
  pipes: 'berth | Out-File C:\\x & calc > y',
};

const spec = (name: string): HypervVmSpec => ({
  name, vmDir: "C:\\Users\\O'Brien $(x)\\AppData\\Local\\Berth\\vm", cpus: 2, memoryMiB: 4096,
  dataDisk: "C:\\Users\\O'Brien $(x)\\AppData\\Local\\Berth\\data.vhdx", configDisk: "C:\\Users\\O'Brien $(x)\\AppData\\Local\\Berth\\config.vhd", bootIso: 'C:\\Program Files\\Berth\\resources\\berth.iso',
  consolePipe: '\\\\.\\pipe\\berth_console', switchName: 'Default Switch',
});

describe('Hyper-V scripts golden', () => {
  for (const [key, name] of Object.entries(NAMES)) {
    it(`VM name: ${key}`, async () => {
      const all = [createScript(spec(name)), configureScript(spec(name)), startScript(name), stateScript(name), stopScript(name), turnOffScript(name), removeScript(name)].join('\n---\n');
      await expect(all).toMatchFileSnapshot(`__golden__/hyperv-${key}.ps1`);
      // The name is on one parameter line and reads back exactly; nowhere else in the script.
      for (const s of all.split('\n---\n')) {
        const line = s.split('\n').find((l) => l.startsWith('$Name = '))!;
        expect(readBack(line.slice('$Name = '.length))).toBe(name);
        expect(s.split('\n').filter((l) => !l.startsWith('$') && !l.startsWith('# ')).join('\n')).not.toContain(name);
      }
    });
  }
  it('host, disk and service scripts', async () => {
    const all = [hostFactsScript(), ensureDiskScript('C:\\Users\\ann\\Berth\\data.vhdx', 64 * 1024 ** 3), serviceRegisteredScript(), registerServiceScript(), elevatedScript(registerServiceScript())].join('\n---\n');
    await expect(all).toMatchFileSnapshot('__golden__/hyperv-host.ps1');
  });
});

describe('PowerShell literals', () => {
  it('doubles every kind of single quote as itself and reads back exactly', () => {
    for (const v of ["'", "''", '‘’', "a'‘’‚‛b", '$(x)', '`', '"', '', ' ; ', 'C:\\a\\b']) expect(readBack(psString(v))).toBe(v);
    expect(psString("it's")).toBe("'it''s'");
    expect(psString('‘x’')).toBe("'‘‘x’’'");
  });
  it('refuses control characters and line breaks (a script line holds one whole value)', () => {
    for (const v of ['a\nb', 'a\rb', 'a\0b', 'a\u0085b', 'a\u2028b', 'a\tb']) expect(() => psString(v)).toThrow(/control character or line break/);
    expect(() => stateScript('berth\nStop-Computer')).toThrow(/line break/);
  });
  it('numbers are checked integers; parameter names are fixed identifiers', () => {
    expect(psParams({ A: { n: 5 }, B: { s: 'x' } })).toBe("$A = 5\n$B = 'x'");
    expect(() => psParams({ A: { n: 1.5 } })).toThrow(/whole number/);
    expect(() => psParams({ 'A; calc': { s: 'x' } })).toThrow(/variable name/);
  });
  it('-EncodedCommand is base64 of UTF-16LE, and the argv never holds the script text', () => {
    const s = stateScript(NAMES.subexpression!);
    expect(Buffer.from(encodeCommand(s), 'base64').toString('utf16le')).toBe(s);
    const argv = powershellArgv(s);
    expect(argv.slice(0, 6)).toEqual(['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand']);
    expect(argv[6]).toMatch(/^[A-Za-z0-9+/=]+$/);
  });
});

describe('Hyper-V checks', () => {
  it('refuses paths Hyper-V cmdlets would read as wildcards, relative paths, bad pipes and sizes', () => {
    expect(() => ensureDiskScript('C:\\Users\\[ann]\\data.vhdx', 1024 ** 3)).toThrow(/wildcards/);
    expect(() => ensureDiskScript('data.vhdx', 1024 ** 3)).toThrow(/absolute Windows path/);
    expect(() => ensureDiskScript('C:\\d.vhdx', 1000)).toThrow(/whole MiB/);
    expect(() => createScript({ ...spec('b'), consolePipe: '\\\\server\\pipe\\x' })).toThrow(/pipe name/);
    expect(() => createScript({ ...spec('b'), memoryMiB: 1025 })).toThrow(/even number of MiB/);
    expect(() => createScript({ ...spec('b'), cpus: 0 })).toThrow(/cpus/);
    expect(() => stateScript('')).toThrow(/1–100 characters/);
  });
  it('creates Generation 2 without Secure Boot, booting the ISO first', () => {
    const s = createScript(spec('berth'));
    expect(s).toContain('New-VM -Name $Name -Generation 2');
    expect(s).toContain('Set-VMFirmware -VM $vm -EnableSecureBoot Off');
    expect(s).toContain('Set-VMFirmware -VM $vm -FirstBootDevice $dvd');
  });
  it('puts the ISO at SCSI 0:0, the data disk at 0:1 and the config VHD at 0:2, where berth.disk=scsi:0:0:1 and berth.config=scsi:0:0:2 tell the guest to look', () => {
    const s = createScript(spec('berth'));
    expect(s).toContain('Add-VMDvdDrive -VM $vm -ControllerNumber 0 -ControllerLocation 0 -Path $BootIso');
    expect(s).toContain('Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 1 -Path $DataDisk');
    expect(s).toContain('Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 2 -Path $ConfigDisk');
    expect(s).toContain("$ConfigDisk = 'C:\\Users\\O''Brien $(x)\\AppData\\Local\\Berth\\config.vhd'");
    expect(driverCmdline('hyperv', 'console=ttyS0')).toMatch(/ berth\.disk=scsi:0:0:1 berth\.config=scsi:0:0:2$/);
    expect(() => createScript({ ...spec('b'), configDisk: 'C:\\Berth\\[1]\\config.vhd' })).toThrow(/the config disk .* wildcards/);
  });
  it('configures a stopped VM to the settings (CPUs, memory, this Berth\'s boot ISO), refusing a running one', () => {
    const s = configureScript({ ...spec('berth'), cpus: 6, memoryMiB: 8192 });
    expect(s.split('\n').slice(3, 8)).toEqual(["$Name = 'berth'", '$Cpus = 6', `$MemoryBytes = ${8192 * 1024 * 1024}`, "$BootIso = 'C:\\Program Files\\Berth\\resources\\berth.iso'", "$ConfigDisk = 'C:\\Users\\O''Brien $(x)\\AppData\\Local\\Berth\\config.vhd'"]);
    expect(s).toContain("if ($vm.State -ne 'Off') { throw");
    expect(s).toContain('Set-VMDvdDrive -VMDvdDrive $dvd[0] -Path $BootIso');
    // A VM created before Berth had a config disk gets one; otherwise the drive is pointed at it again.
    expect(s).toContain('$cfg = @(Get-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 2)');
    expect(s).toContain('if ($cfg.Count -eq 0) { Add-VMHardDiskDrive -VM $vm -ControllerType SCSI -ControllerNumber 0 -ControllerLocation 2 -Path $ConfigDisk }');
    expect(s).toContain('else { Set-VMHardDiskDrive -VMHardDiskDrive $cfg[0] -Path $ConfigDisk }');
    expect(() => configureScript({ ...spec('berth'), memoryMiB: 1001 })).toThrow(/even number of MiB/);
  });
});
