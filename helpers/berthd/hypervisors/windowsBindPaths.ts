// Owns: translating Windows host paths in Docker bind mounts (`C:\src:/app`, Mounts[].Source) into the
// paths where the VM mounts its shares (C:\Users\ann → /c/Users/ann, as vm/sharesPlan.ts plans). Pure.
import { guestPathFor } from '../vm/sharesPlan.ts';

const DRIVE = /^[A-Za-z]:[\\/]/;
const UNC = /^\\\\[^\\/]+[\\/][^\\/]+/;

/** Whether `p` is a Windows host path (drive-letter or UNC), as the docker CLI on Windows sends them. */
export function isWindowsHostPath(p: string): boolean {
  return DRIVE.test(p) || UNC.test(p);
}

/** A Mounts[].Source: a Windows path becomes its guest path; anything else (a volume name, a Linux path) is kept. */
export function translateMountSource(source: string): string {
  return isWindowsHostPath(source) ? guestPathFor(source, 'win32') : source;
}

/**
 * A HostConfig.Binds entry `<source>:<target>[:<options>]`. The drive letter's colon is part of the
 * source, so the split starts after it. Targets are Linux paths in the container; they are kept.
 */
export function translateBind(bind: string): string {
  const start = DRIVE.test(bind) ? 2 : 0;
  const sep = bind.indexOf(':', start);
  if (sep < 0) return bind; // an anonymous volume: "/data"
  const source = bind.slice(0, sep);
  return `${translateMountSource(source)}${bind.slice(sep)}`;
}
