// Owns: the current time for wording that ages ("up 5 min", "3 minutes ago"), re-read on an interval
// while a component shows it. A clock for display only: it never asks berthd anything.
import { useEffect, useState } from 'react';

export function useNow(intervalMs: number, active = true): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs, active]);
  return now;
}
