// Owns: the screen shown, read from the address (#/containers) and followed as it changes.
import { useEffect, useState } from 'react';
import { type ScreenId, screenFromHash, screenHref } from '../model/screens.ts';

export function useHashScreen(): ScreenId {
  const [screen, setScreen] = useState<ScreenId>(() => screenFromHash(window.location.hash));
  useEffect(() => {
    const onChange = () => setScreen(screenFromHash(window.location.hash));
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return screen;
}

/** Show a screen from code (after "Terminal" on a container row). */
export function goTo(screen: ScreenId): void {
  window.location.hash = screenHref(screen);
}
