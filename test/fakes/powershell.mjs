#!/usr/bin/env node
// A fake powershell.exe for the Hyper-V runner's tests: decodes -EncodedCommand, records the script
// and its decoded parameters (FAKE_PS_LOG), and answers like Hyper-V's cmdlets from a state file
// (FAKE_PS_STATE) that tests may edit (a crash is the state turning Off without a Stop-VM).
// FAKE_PS_GRACEFUL=ignore: Stop-VM without -TurnOff does nothing (a guest that does not shut down).
// FAKE_PS_UAC=decline: the user declines the administrator prompt of an elevated script.
/* global process, Buffer */
import { appendFileSync, existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { parseScript } from './psLiteralParse.mjs';

const args = process.argv.slice(2);
const enc = args[args.indexOf('-EncodedCommand') + 1];
if (!args.includes('-NonInteractive') || !args.includes('-NoProfile') || !enc) {
  process.stderr.write('fake powershell: Berth must run PowerShell with -NoProfile -NonInteractive -EncodedCommand\n');
  process.exit(64);
}
const script = Buffer.from(enc, 'base64').toString('utf16le');
let parsed;
try {
  parsed = parseScript(script);
} catch (e) {
  process.stderr.write(`At line:1 char:1\nParserError: ${e.message}\n`);
  process.exit(1);
}
const { op, params } = parsed;
const statePath = process.env.FAKE_PS_STATE;
if (process.env.FAKE_PS_LOG) appendFileSync(process.env.FAKE_PS_LOG, `${JSON.stringify({ op, params, script })}\n`);
const st = statePath && existsSync(statePath) ? JSON.parse(readFileSync(statePath, 'utf8')) : { vms: {}, vhds: {}, services: {} };
// Written whole and renamed into place: the runner's state polls run the fake concurrently with other calls.
const save = () => {
  if (!statePath) return;
  writeFileSync(`${statePath}.${process.pid}`, JSON.stringify(st, null, 2));
  renameSync(`${statePath}.${process.pid}`, statePath);
};
const answer = (o) => {
  save();
  process.stdout.write(`${JSON.stringify(o)}\r\n`);
  process.exit(0);
};
const fail = (cmdlet, msg) => {
  save();
  process.stderr.write(`${cmdlet} : ${msg}\r\nAt line:1 char:1\r\n    + CategoryInfo          : InvalidOperation\r\n`);
  process.exit(1);
};
const now = Date.now();
// Stop-VM -AsJob: the guest takes a moment to go from Stopping to Off.
for (const vm of Object.values(st.vms)) if (vm.state === 'Stopping' && vm.offAt <= now) vm.state = 'Off';
const vmOf = () => st.vms[params.Name];
const stateOf = (vm) => (vm ? { state: vm.state, id: vm.id, uptimeSeconds: vm.state === 'Running' ? Math.floor((now - vm.since) / 1000) : 0, cpus: vm.cpus, memoryBytes: vm.memoryBytes } : { state: 'Missing' });

switch (op) {
  case 'hostFacts':
    answer(JSON.parse(process.env.FAKE_PS_FACTS ?? '{"edition":"Microsoft Windows 11 Pro","build":"22631","isAdmin":false,"inHyperVAdministrators":true,"vmms":"Running","hypervisorPresent":true,"hypervModule":true}'));
    break;
  case 'ensureDisk': {
    const had = st.vhds[params.Path];
    let action = 'created';
    if (had !== undefined) action = had < params.SizeBytes ? 'grown' : had > params.SizeBytes ? 'kept-larger' : 'unchanged';
    if (had === undefined || had < params.SizeBytes) st.vhds[params.Path] = params.SizeBytes;
    answer({ action, sizeBytes: st.vhds[params.Path] });
    break;
  }
  case 'create':
    if (vmOf()) fail('New-VM', `a Hyper-V VM named ${params.Name} already exists`);
    if (st.vhds[params.DataDisk] === undefined) fail('Add-VMHardDiskDrive', `Failed to add device 'Virtual Hard Disk'. The system cannot find the file specified. (${params.DataDisk})`);
    st.vms[params.Name] = { state: 'Off', id: randomUUID(), generation: 2, secureBoot: false, cpus: params.Cpus, memoryBytes: params.MemoryBytes, dvd: params.BootIso, disk: params.DataDisk, configDisk: params.ConfigDisk, com1: params.ConsolePipe, switch: params.SwitchName };
    answer({ id: st.vms[params.Name].id, name: params.Name });
    break;
  case 'configure': {
    const vm = vmOf();
    if (!vm) fail('Get-VM', `there is no Hyper-V VM named ${params.Name}`);
    if (vm.state !== 'Off') fail('Set-VM', `the Hyper-V VM ${params.Name} is ${vm.state}; it must be off to be configured`);
    // The config disk is added at SCSI 0:2 when missing (a VM made before Berth had one), or set again.
    Object.assign(vm, { cpus: params.Cpus, memoryBytes: params.MemoryBytes, dvd: params.BootIso, configDisk: params.ConfigDisk });
    answer(stateOf(vm));
    break;
  }
  case 'start': {
    const vm = vmOf();
    if (!vm) fail('Start-VM', `there is no Hyper-V VM named ${params.Name}`);
    vm.state = 'Running';
    vm.since = now;
    answer(stateOf(vm));
    break;
  }
  case 'state':
    answer(stateOf(vmOf()));
    break;
  case 'stop': {
    const vm = vmOf();
    if (!vm) fail('Stop-VM', `there is no Hyper-V VM named ${params.Name}`);
    if (process.env.FAKE_PS_GRACEFUL !== 'ignore' && vm.state === 'Running') {
      vm.state = 'Stopping';
      vm.offAt = now + Number(process.env.FAKE_PS_STOP_MS ?? 300);
    }
    answer(stateOf(vm));
    break;
  }
  case 'turnOff': {
    const vm = vmOf();
    if (!vm) fail('Stop-VM', `there is no Hyper-V VM named ${params.Name}`);
    vm.state = 'Off';
    answer(stateOf(vm));
    break;
  }
  case 'remove': {
    const n = vmOf() ? 1 : 0;
    delete st.vms[params.Name];
    answer({ removed: n });
    break;
  }
  case 'serviceRegistered':
    answer({ registered: st.services[params.ServiceGuid] !== undefined });
    break;
  case 'registerService':
    st.services[params.ServiceGuid] = params.Description;
    answer({ registered: true });
    break;
  case 'elevated': {
    // Start-Process -Verb RunAs: the user accepts the UAC prompt (the inner script then runs as an
    // administrator), or declines it (FAKE_PS_UAC=decline: ERROR_CANCELLED, 1223).
    if (process.env.FAKE_PS_UAC === 'decline') answer({ exitCode: 1223 });
    const inner = parseScript(Buffer.from(params.Encoded, 'base64').toString('utf16le'));
    if (inner.op !== 'registerService') fail('Start-Process', `the fake elevates only registerService, not ${inner.op}`);
    st.services[inner.params.ServiceGuid] = inner.params.Description;
    answer({ exitCode: 0 });
    break;
  }
  default:
    fail('fake', `the fake does not know ${op}`);
}
