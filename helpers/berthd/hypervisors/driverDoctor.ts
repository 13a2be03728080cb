// Owns: what `berth doctor` concludes about the macOS and Windows hypervisors — HyperKit missing or on
// Apple Silicon, Hyper-V off, not allowed to manage VMs, or absent on Windows Home. Pure functions.
import type { DoctorCheck } from '../../api/diagnostics.ts';

export type HyperkitFacts = {
  /** process.arch: arm64 is Apple Silicon, where HyperKit (Intel VT-x only) cannot run. */
  arch: string;
  /** `hyperkit -v`'s first line, or missing/broken. */
  hyperkit: { state: 'ok'; version: string } | { state: 'missing' } | { state: 'broken'; error: string };
};

/** hostFactsScript()'s answer (hypervScripts.ts). */
export type HypervFacts = {
  edition: string;
  isAdmin: boolean;
  inHyperVAdministrators: boolean;
  /** The Hyper-V management service: Running, Stopped, … or Missing when Hyper-V is not installed. */
  vmms: string;
  hypervisorPresent: boolean;
  hypervModule: boolean;
};

const ID = 'hypervisor';
const TITLE = 'Hypervisor';

export function hyperkitCheck(f: HyperkitFacts): DoctorCheck {
  if (f.arch === 'arm64') {
    return { id: ID, title: TITLE, status: 'ok', detail: 'Apple Silicon: HyperKit cannot run here (it needs an Intel CPU), so Berth runs the VM with QEMU and Hypervisor.framework (HVF)' };
  }
  if (f.hyperkit.state === 'ok') return { id: ID, title: TITLE, status: 'ok', detail: `HyperKit: ${f.hyperkit.version}` };
  const what = f.hyperkit.state === 'missing' ? 'HyperKit is not installed' : `HyperKit is installed but does not run (${f.hyperkit.error})`;
  return { id: ID, title: TITLE, status: 'warn', detail: `${what}: Berth uses QEMU with HVF instead`, fix: 'brew install hyperkit to use HyperKit, or keep QEMU (brew install qemu)' };
}

export function hypervCheck(f: HypervFacts): DoctorCheck {
  const home = /\bHome\b/i.test(f.edition);
  if (f.vmms === 'Missing' || !f.hypervModule) {
    if (home) {
      return { id: ID, title: TITLE, status: 'warn', detail: `${f.edition} has no Hyper-V: Berth runs the VM with QEMU and the Windows Hypervisor Platform (WHPX)`, fix: 'turn on "Windows Hypervisor Platform" in Windows Features, then berth restart' };
    }
    return { id: ID, title: TITLE, status: 'warn', detail: 'Hyper-V is not enabled: Berth runs the VM with QEMU (WHPX) instead', fix: 'as an administrator: Enable-WindowsOptionalFeature -Online -FeatureName Microsoft-Hyper-V-All, restart Windows, then berth restart' };
  }
  if (f.vmms !== 'Running' || !f.hypervisorPresent) {
    return { id: ID, title: TITLE, status: 'fail', detail: `Hyper-V is installed but not running (service vmms ${f.vmms}, hypervisor ${f.hypervisorPresent ? 'present' : 'not running'})`, fix: 'restart Windows; if it stays off, turn on virtualisation (VT-x/AMD-V) in the firmware settings' };
  }
  if (!f.isAdmin && !f.inHyperVAdministrators) {
    return { id: ID, title: TITLE, status: 'fail', detail: 'this user may not manage Hyper-V VMs: it is neither an administrator nor in the "Hyper-V Administrators" group', fix: 'as an administrator: Add-LocalGroupMember -SID S-1-5-32-578 -Member $env:USERNAME, then sign out and in again' };
  }
  return { id: ID, title: TITLE, status: 'ok', detail: `Hyper-V is running and this user may manage VMs (${f.isAdmin ? 'administrator' : 'Hyper-V Administrators'})` };
}
