// Owns: printing the end of a host log file and, with follow, what is appended to it — surviving the
// file being truncated or replaced (the console log is recreated at every boot).
import { closeSync, openSync, readSync, statSync } from 'node:fs';

/** The last `lines` lines of `text` (a final newline does not count as an empty line). */
export function lastLines(text: string, lines: number): string {
  if (lines <= 0) return '';
  const parts = text.split('\n');
  if (parts[parts.length - 1] === '') parts.pop();
  return parts.slice(-lines).map((l) => `${l}\n`).join('');
}

function readRange(path: string, from: number, to: number): Buffer {
  const fd = openSync(path, 'r');
  try {
    const buf = Buffer.alloc(to - from);
    let at = 0;
    while (at < buf.length) {
      const n = readSync(fd, buf, at, buf.length - at, from + at);
      if (n <= 0) break;
      at += n;
    }
    return buf.subarray(0, at);
  } finally {
    closeSync(fd);
  }
}

/** Print the file's last lines; with `follow`, keep printing until the returned stop() is called. */
export function tailFile(path: string, opts: { lines: number; follow: boolean; write: (s: string) => void }): () => void {
  const st = statSync(path, { throwIfNoEntry: false });
  let offset = 0;
  let ino = st?.ino;
  if (st) {
    const from = Math.max(0, st.size - Math.max(64 * 1024, opts.lines * 512));
    opts.write(lastLines(readRange(path, from, st.size).toString('utf8'), opts.lines));
    offset = st.size;
  }
  if (!opts.follow) return () => {};
  const timer = setInterval(() => {
    const now = statSync(path, { throwIfNoEntry: false });
    if (!now) return;
    if (now.ino !== ino || now.size < offset) {
      ino = now.ino;
      offset = 0;
    }
    if (now.size > offset) {
      opts.write(readRange(path, offset, now.size).toString('utf8'));
      offset = now.size;
    }
  }, 250);
  return () => clearInterval(timer);
}
