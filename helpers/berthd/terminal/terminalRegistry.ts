// Owns: the live terminals of berthd — a cap on how many run at once, and ending them together (all at
// berthd's shutdown, the VM's and containers' ones when the VM stops) with an error the client shows.
import { TerminalFailure, type TerminalKind } from './terminalSession.ts';

export const MAX_TERMINALS = 32;

/** A terminal as the registry sees it: its kind, and how to end it with a reason. */
export interface TerminalHandle {
  readonly kind: TerminalKind;
  /** Tell the client why, and end the session and its processes. */
  end(failure: TerminalFailure): Promise<void>;
}

export class TerminalRegistry {
  private readonly live = new Set<TerminalHandle>();
  private closedWith: TerminalFailure | undefined;

  constructor(readonly max = MAX_TERMINALS) {}

  get size(): number {
    return this.live.size;
  }

  /** Count a new terminal in; throws TerminalFailure at the cap or once the registry is closed. */
  add(handle: TerminalHandle): void {
    if (this.closedWith) throw this.closedWith;
    if (this.live.size >= this.max)
      throw new TerminalFailure('too-many-terminals', `${this.live.size} terminals are open, the most Berth runs at once`, 'close a terminal you no longer use, then open this one again');
    this.live.add(handle);
  }

  delete(handle: TerminalHandle): void {
    this.live.delete(handle);
  }

  /** End the terminals of these kinds (e.g. vm and container when the VM stops). */
  async endKinds(kinds: readonly TerminalKind[], failure: TerminalFailure): Promise<void> {
    const ending = [...this.live].filter((h) => kinds.includes(h.kind));
    for (const h of ending) this.live.delete(h);
    await Promise.all(ending.map((h) => h.end(failure).catch(() => undefined)));
  }

  /** End every terminal and refuse new ones with the same failure (berthd is stopping). */
  async closeAll(failure: TerminalFailure): Promise<void> {
    this.closedWith = failure;
    const ending = [...this.live];
    this.live.clear();
    await Promise.all(ending.map((h) => h.end(failure).catch(() => undefined)));
  }
}
