// Owns: the settings that are choices — where published ports listen, the accelerator, and the
// desktop app's start-at-login and stop-the-VM-on-quit.
import { useId } from 'react';
import { accelChoices, bindAddresses, driverChoices, type Settings } from '../../../../helpers/api/settings.ts';

const bindWords: Record<Settings['ports']['bindAddress'], string> = {
  '127.0.0.1': '127.0.0.1 (this computer only)',
  '::1': '::1 (this computer only, IPv6)',
  '0.0.0.0': '0.0.0.0 (all networks)',
  '::': ':: (all networks, IPv6)',
};
const accelWords: Record<Settings['accel'], string> = {
  auto: 'Automatic (the fastest available)',
  kvm: 'KVM (Linux)',
  hvf: 'Hypervisor.framework (macOS)',
  whpx: 'Windows Hypervisor Platform',
  tcg: 'None (emulation, slow)',
};

const driverWords: Record<Settings['driver'], string> = {
  qemu: 'QEMU (every system)',
  hyperkit: 'HyperKit (Intel Macs)',
  hyperv: 'Hyper-V (Windows)',
};

type General = Pick<Settings, 'ports' | 'accel' | 'driver' | 'startAtLogin' | 'stopVmOnQuit'>;

export function GeneralSection({ value, onChange, disabled }: { value: General; onChange: (v: Partial<General>) => void; disabled?: boolean }) {
  const id = useId();
  return (
    <fieldset className="panel" disabled={disabled}>
      <legend>Ports, virtual machine and the app</legend>
      <div className="field-grid">
        <div className="field">
          <label htmlFor={`${id}-bind`}>Published ports listen on</label>
          <select id={`${id}-bind`} value={value.ports.bindAddress} onChange={(e) => onChange({ ports: { bindAddress: e.target.value as General['ports']['bindAddress'] } })}>
            {bindAddresses.map((b) => (
              <option key={b} value={b}>
                {bindWords[b]}
              </option>
            ))}
          </select>
          <p className="hint">For ports published without an address (docker run -p 8080:80). &ldquo;All networks&rdquo; lets other computers connect.</p>
        </div>
        <div className="field">
          <label htmlFor={`${id}-accel`}>Acceleration</label>
          <select id={`${id}-accel`} value={value.accel} onChange={(e) => onChange({ accel: e.target.value as General['accel'] })}>
            {accelChoices.map((a) => (
              <option key={a} value={a}>
                {accelWords[a]}
              </option>
            ))}
          </select>
        </div>
        <div className="field">
          <label htmlFor={`${id}-driver`}>Hypervisor</label>
          <select id={`${id}-driver`} value={value.driver} onChange={(e) => onChange({ driver: e.target.value as General['driver'] })} aria-describedby={`${id}-driver-hint`}>
            {driverChoices.map((d) => (
              <option key={d} value={d}>
                {driverWords[d]}
              </option>
            ))}
          </select>
          <p id={`${id}-driver-hint`} className="hint">
            Each hypervisor keeps its own disk: switching starts without your images and volumes.
          </p>
        </div>
      </div>
      <label className="check">
        <input type="checkbox" checked={value.startAtLogin} onChange={(e) => onChange({ startAtLogin: e.target.checked })} /> Start Berth when I log in (desktop app)
      </label>
      <label className="check">
        <input type="checkbox" checked={value.stopVmOnQuit} onChange={(e) => onChange({ stopVmOnQuit: e.target.checked })} /> Stop the VM when I quit the desktop app
      </label>
    </fieldset>
  );
}
