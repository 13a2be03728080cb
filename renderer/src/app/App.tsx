// Owns: the page's frame — sidebar, connection banner, errors and notices, the current screen; the
// Terminal screen stays mounted while sessions are open so they survive moving between screens.
import { useEffect, useRef } from 'react';
import { ContainersScreen } from '../screens/containers/ContainersScreen.tsx';
import { DashboardScreen } from '../screens/dashboard/DashboardScreen.tsx';
import { ImagesScreen } from '../screens/images/ImagesScreen.tsx';
import { SettingsScreen } from '../screens/settings/SettingsScreen.tsx';
import { TerminalScreen } from '../screens/terminal/TerminalScreen.tsx';
import { TroubleshootScreen } from '../screens/troubleshoot/TroubleshootScreen.tsx';
import { VolumesScreen } from '../screens/volumes/VolumesScreen.tsx';
import { useBerth } from '../store/useBerth.ts';
import { ConnectionBanner } from './ConnectionBanner.tsx';
import { ErrorList } from './ErrorList.tsx';
import { Notices } from './Notices.tsx';
import { Sidebar } from './Sidebar.tsx';
import { useHashScreen } from './useHashScreen.ts';

export function App() {
  const screen = useHashScreen();
  const connect = useBerth((s) => s.connect);
  const hasTerminals = useBerth((s) => s.terminals.tabs.length > 0);
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);

  useEffect(() => connect(), [connect]);

  // Moving to another screen puts keyboard focus on its heading, so a screen reader says where we are.
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    main.current?.querySelector<HTMLElement>(`[data-screen="${screen}"] h1`)?.focus();
  }, [screen]);

  return (
    <div className="app">
      <button type="button" className="skip-link" onClick={() => main.current?.focus()}>
        Skip to content
      </button>
      <Sidebar current={screen} />
      <main id="main" ref={main} tabIndex={-1} className="main">
        <ConnectionBanner />
        <ErrorList />
        <Notices />
        {screen === 'dashboard' && <DashboardScreen />}
        {screen === 'containers' && <ContainersScreen />}
        {screen === 'images' && <ImagesScreen />}
        {screen === 'volumes' && <VolumesScreen />}
        {screen === 'settings' && <SettingsScreen />}
        {screen === 'troubleshoot' && <TroubleshootScreen />}
        {(screen === 'terminal' || hasTerminals) && <TerminalScreen hidden={screen !== 'terminal'} />}
      </main>
    </div>
  );
}
