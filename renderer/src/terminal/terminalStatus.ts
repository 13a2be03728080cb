// Owns: what the terminal view says about its session in plain words — connecting, running, the
// process's exit (code or signal) and errors, each with what to do — as a pure reducer over messages.
import type { TerminalServerMessage } from '../../../helpers/api/terminal.ts';

export type TerminalStatus =
  | { kind: 'connecting' }
  | { kind: 'running'; title: string }
  | { kind: 'ended'; tone: 'info' | 'error'; title: string; detail: string; action: string };

const SIGNAL_WORDS: Record<string, string> = {
  SIGHUP: 'the terminal hung up',
  SIGINT: 'it was interrupted (Ctrl-C)',
  SIGKILL: 'it was killed',
  SIGTERM: 'it was asked to stop',
};

/** The status after a message from berthd. */
export function statusAfter(message: TerminalServerMessage): TerminalStatus {
  switch (message.type) {
    case 'ready':
      return { kind: 'running', title: message.title };
    case 'exit': {
      const action = 'Open a new terminal to start another session.';
      if (message.signal) {
        const why = SIGNAL_WORDS[message.signal] ?? `it got ${message.signal}`;
        return { kind: 'ended', tone: 'info', title: 'The session ended', detail: `The process stopped because ${why} (exit code ${message.code}).`, action };
      }
      if (message.code === 0) return { kind: 'ended', tone: 'info', title: 'The session ended', detail: 'The shell exited normally.', action };
      return { kind: 'ended', tone: 'info', title: 'The session ended', detail: `The process exited with code ${message.code}.`, action };
    }
    case 'error':
      return { kind: 'ended', tone: 'error', title: 'The terminal stopped', detail: sentence(message.message), action: sentence(message.hint) };
  }
}

/** The connection closed: keep what the last message said, else say the connection was lost. */
export function statusAfterClose(status: TerminalStatus): TerminalStatus {
  if (status.kind === 'ended') return status;
  return { kind: 'ended', tone: 'error', title: 'The terminal lost its connection', detail: 'The connection to Berth closed before the session ended.', action: 'Open a new terminal; if this repeats, check that Berth is running.' };
}

/** "the VM is not running" → "The VM is not running." */
export function sentence(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const first = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}
