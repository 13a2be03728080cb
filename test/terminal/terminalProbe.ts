// Owns: what the terminal suite uses to drive and watch terminals — a TerminalChannel from the real
// client with its text and messages recorded, and the process counts (berthd's children, the VM's) for T-41.
import { readdirSync, readFileSync } from 'node:fs';
import type { TerminalServerMessage, TerminalSpec } from '../../helpers/api/terminal.ts';
import type { TerminalChannel } from '../../helpers/api/transport.ts';
import { openTerminal } from '../../helpers/client/terminalClient.ts';
import type { Berth } from '../engine/engineHarness.ts';

export type Probe = {
  channel: TerminalChannel;
  messages: TerminalServerMessage[];
  /** Everything the terminal showed, as text. */
  text: () => string;
  /** Wait for output matching `pattern` (in the text since `from`). */
  waitFor: (pattern: RegExp, opts?: { from?: number; timeoutMs?: number }) => Promise<RegExpExecArray>;
  /** Wait for the first message of this type (rejects when the channel closes without it). */
  message: <T extends TerminalServerMessage['type']>(type: T) => Promise<Extract<TerminalServerMessage, { type: T }>>;
  closed: Promise<void>;
};

export function openProbe(b: Berth, spec: TerminalSpec): Probe {
  const channel = openTerminal(b.paths.controlSocket, spec);
  const messages: TerminalServerMessage[] = [];
  const decoder = new TextDecoder();
  let text = '';
  let isClosed = false;
  const wake: (() => void)[] = [];
  const poke = (): void => {
    for (const w of wake.splice(0)) w();
  };
  channel.onData((d) => {
    text += decoder.decode(d, { stream: true });
    poke();
  });
  channel.onMessage((m) => {
    messages.push(m);
    poke();
  });
  const closed = new Promise<void>((resolve) =>
    channel.onClose(() => {
      isClosed = true;
      poke();
      resolve();
    }),
  );
  const until = <T>(what: string, look: () => T | undefined, timeoutMs: number): Promise<T> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}; messages ${JSON.stringify(messages)}; output tail ${JSON.stringify(text.slice(-600))}`)), timeoutMs);
      const check = (): void => {
        const found = look();
        if (found !== undefined) {
          clearTimeout(timer);
          resolve(found);
        } else if (isClosed) {
          clearTimeout(timer);
          reject(new Error(`the terminal closed before ${what}; messages ${JSON.stringify(messages)}; output tail ${JSON.stringify(text.slice(-600))}`));
        } else wake.push(check);
      };
      check();
    });
  return {
    channel,
    messages,
    text: () => text,
    waitFor: (pattern, opts = {}) => until(`${pattern}`, () => pattern.exec(text.slice(opts.from ?? 0)) ?? undefined, opts.timeoutMs ?? 60_000),
    message: (type) => until(`a ${type} message`, () => messages.find((m) => m.type === type) as never, 120_000),
    closed,
  };
}

/** Processes whose parent is `pid`, with their state (Z for a zombie) and name. */
export function childrenOf(pid: number): { pid: number; state: string; comm: string }[] {
  const out: { pid: number; state: string; comm: string }[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const comm = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) === pid) out.push({ pid: Number(d), state: state ?? '?', comm });
    } catch {
      // gone while reading
    }
  }
  return out;
}

/** No such process, or only its zombie. */
export function processGone(pid: number): boolean {
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return true;
  }
}

/** The VM's user-space processes (kernel threads left out), as `pid args` lines, without the counting command. */
export async function guestProcesses(b: Berth): Promise<string[]> {
  const r = await b.berth(['shell', '--', '/bin/busybox', 'ps', '-o', 'pid,args']);
  if (r.code !== 0) throw new Error(`ps in the VM failed (${r.code}): ${r.stderr}`);
  return r.stdout
    .split('\n')
    .slice(1)
    .map((l) => l.trim())
    .filter((l) => l && !/^\d+\s+\[/.test(l) && !l.includes('busybox ps'));
}

export async function eventually<T>(what: string, read: () => T | Promise<T>, good: (v: T) => boolean, timeoutMs = 60_000): Promise<T> {
  let last = await read();
  for (let waited = 0; !good(last); waited += 500) {
    if (waited > timeoutMs) throw new Error(`${what}: still ${JSON.stringify(last)}`);
    await new Promise((r) => setTimeout(r, 500));
    last = await read();
  }
  return last;
}
