// Owns: the navigation sidebar — one real link per screen (the current one marked for assistive
// technology) and the VM's state at a glance.
import { type ScreenId, screenHref, screens } from '../model/screens.ts';
import { vmHeadline } from '../model/vmLifecycle.ts';
import { useBerth } from '../store/useBerth.ts';

export function Sidebar({ current }: { current: ScreenId }) {
  const vm = useBerth((s) => s.vm);
  const connected = useBerth((s) => s.connected);
  const headline = vmHeadline(vm);
  const terminals = useBerth((s) => s.terminals.tabs.length);
  return (
    <nav className="sidebar" aria-label="Berth">
      <p className="brand">Berth</p>
      <ul className="nav-list">
        {screens.map((s) => (
          <li key={s.id}>
            <a href={screenHref(s.id)} aria-current={current === s.id ? 'page' : undefined} className="nav-link">
              {s.label}
              {s.id === 'terminal' && terminals > 0 ? <span className="count"> ({terminals})</span> : null}
            </a>
          </li>
        ))}
      </ul>
      <p className={`vm-badge tone-${connected === false ? 'error' : headline.tone}`}>
        <span className="dot" aria-hidden="true" />
        VM: {connected === false ? 'not answering' : headline.title}
      </p>
    </nav>
  );
}
