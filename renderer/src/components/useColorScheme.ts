// Owns: the light or dark look the system asks for (prefers-color-scheme), followed as it changes —
// for what CSS cannot style by itself, such as the terminal's colours.
import { useEffect, useState } from 'react';

const query = '(prefers-color-scheme: dark)';

export function useColorScheme(): 'light' | 'dark' {
  const [dark, setDark] = useState(() => window.matchMedia(query).matches);
  useEffect(() => {
    const list = window.matchMedia(query);
    const onChange = () => setDark(list.matches);
    list.addEventListener('change', onChange);
    return () => list.removeEventListener('change', onChange);
  }, []);
  return dark ? 'dark' : 'light';
}
