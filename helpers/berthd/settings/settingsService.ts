// Owns: berthd's live settings — loaded from $BERTH_HOME/settings.json with this host's limits, changed
// through the control API (validated, saved atomically), and their health as `status` reports it.
import { cpus, homedir, totalmem } from 'node:os';
import { applySettingsChange, changedKeys, restartNeeded, settingsLimits, type Settings, type SettingsHostFacts, type SettingsProblem } from '../../api/settings.ts';
import type { SettingsHealth } from '../../api/vmState.ts';
import { inspectQcow2 } from '../vm/qcow2Header.ts';
import { loadSettings, saveSettings, type SettingsLoad } from './settingsStore.ts';

export class SettingsRejected extends Error {
  constructor(readonly problems: SettingsProblem[]) {
    super(problems.map((p) => p.message).join('; '));
  }
}

export type SettingsChange = { settings: Settings; changed: string[]; restartNeeded: string[] };

export class SettingsService {
  private current: Settings;
  private lastLoad: SettingsLoad;

  constructor(
    readonly path: string,
    private readonly dataDisk: string,
    private readonly log: (m: string) => void,
  ) {
    this.lastLoad = this.read();
    this.current = this.lastLoad.settings;
  }

  /** What validation knows of this host now: CPUs, RAM, home, and the VM disk's current size. */
  hostFacts(): SettingsHostFacts {
    const disk = inspectQcow2(this.dataDisk);
    return { cpus: cpus().length, memoryBytes: totalmem(), home: homedir(), platform: process.platform, arch: process.arch, ...(disk ? { currentDiskBytes: disk.virtualSize } : {}) };
  }

  private read(): SettingsLoad {
    const load = loadSettings(this.path, this.hostFacts());
    for (const n of load.notes) this.log(`settings: ${n}`);
    for (const t of load.removedTemps) this.log(`settings: removed ${t}, left by a save that did not finish`);
    return load;
  }

  /** Read settings.json again (a hand edit, a new VM start); a damaged file keeps the values in use. */
  reload(): Settings {
    const load = this.read();
    this.lastLoad = load;
    // A damaged file falls back to last-good or defaults inside loadSettings; prefer what runs now over defaults.
    this.current = load.status === 'corrupt' && load.recoveredFrom === 'defaults' ? this.current : load.settings;
    return this.current;
  }

  get(): Settings {
    return this.current;
  }

  get readOnly(): boolean {
    return this.lastLoad.status === 'future';
  }

  limits() {
    return settingsLimits(this.hostFacts());
  }

  health(): SettingsHealth {
    const l = this.lastLoad;
    return { path: this.path, status: l.status, notes: l.notes, ...(l.status === 'corrupt' && l.badFile ? { badFile: l.badFile } : {}) };
  }

  /** Validate a change against this host, save it, and say what changed and what needs a restart. */
  change(change: Record<string, unknown>): SettingsChange {
    const before = this.current;
    const checked = applySettingsChange(before, change, this.hostFacts());
    if (!checked.ok) throw new SettingsRejected(checked.problems);
    const changed = changedKeys(before, checked.settings);
    if (changed.length > 0 || this.lastLoad.status !== 'ok') {
      saveSettings(this.path, checked.settings);
      this.lastLoad = { status: 'ok', settings: checked.settings, notes: [], unknownKeys: [], removedTemps: [] };
    }
    this.current = checked.settings;
    if (changed.length > 0) this.log(`settings changed: ${changed.join(', ')}`);
    return { settings: checked.settings, changed, restartNeeded: restartNeeded(before, checked.settings) };
  }

  /** Settings that differ from what a VM started with `applied` uses. */
  pendingFor(applied: Settings | undefined): string[] {
    return applied ? restartNeeded(applied, this.current) : [];
  }
}
