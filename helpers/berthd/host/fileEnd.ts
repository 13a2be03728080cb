// Owns: reading the last bytes of a log file (a child's stderr kept in a file) without reading it whole;
// '' when it is missing or unreadable, since it only ever completes an error message.
import { closeSync, openSync, readSync, statSync } from 'node:fs';

export function fileEnd(path: string | undefined, maxBytes: number): string {
  if (!path) return '';
  try {
    const size = statSync(path).size;
    const n = Math.min(size, maxBytes);
    const buf = Buffer.alloc(n);
    const fd = openSync(path, 'r');
    try {
      readSync(fd, buf, 0, n, size - n);
    } finally {
      closeSync(fd);
    }
    return buf.toString('utf8');
  } catch {
    return '';
  }
}
