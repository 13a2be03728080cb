// Owns: tests of the terminal registry — the cap with its clear error, ending by kind when the VM stops,
// and closing everything (and refusing new terminals) when berthd stops.
import { describe, expect, it } from 'vitest';
import { TerminalRegistry, type TerminalHandle } from './terminalRegistry.ts';
import { TerminalFailure, type TerminalKind } from './terminalSession.ts';

type Recorded = TerminalHandle & { endedWith: TerminalFailure | undefined };

function handle(kind: TerminalKind): Recorded {
  const h: Recorded = {
    kind,
    endedWith: undefined,
    end: async (failure) => {
      h.endedWith = failure;
    },
  };
  return h;
}

const why = new TerminalFailure('vm-stopped', 'the VM stopped', 'start it again');

describe('TerminalRegistry', () => {
  it('refuses the terminal over the cap with too-many-terminals, and takes one again after a close', () => {
    const r = new TerminalRegistry(3);
    const open = [handle('vm'), handle('host'), handle('container')];
    for (const h of open) r.add(h);
    let refused: unknown;
    try {
      r.add(handle('host'));
    } catch (e) {
      refused = e;
    }
    expect(refused).toBeInstanceOf(TerminalFailure);
    expect(refused).toMatchObject({ code: 'too-many-terminals', message: expect.stringContaining('3 terminals are open'), hint: expect.stringContaining('close a terminal') });
    r.delete(open[0] as TerminalHandle);
    expect(() => r.add(handle('host'))).not.toThrow();
    expect(r.size).toBe(3);
  });

  it('defaults to 32 terminals', () => {
    const r = new TerminalRegistry();
    for (let i = 0; i < 32; i++) r.add(handle('host'));
    expect(() => r.add(handle('host'))).toThrow(TerminalFailure);
  });

  it('endKinds ends the VM and container terminals with the reason and leaves host shells', async () => {
    const r = new TerminalRegistry();
    const vm = handle('vm');
    const container = handle('container');
    const host = handle('host');
    for (const h of [vm, container, host]) r.add(h);
    await r.endKinds(['vm', 'container'], why);
    expect(vm.endedWith).toBe(why);
    expect(container.endedWith).toBe(why);
    expect(host.endedWith).toBeUndefined();
    expect(r.size).toBe(1);
  });

  it('closeAll ends every terminal, even when one fails to end, and refuses new ones with the same reason', async () => {
    const r = new TerminalRegistry();
    const a = handle('host');
    const broken: TerminalHandle = { kind: 'vm', end: () => Promise.reject(new Error('already gone')) };
    const b = handle('container');
    for (const h of [a, broken, b]) r.add(h);
    const stopping = new TerminalFailure('berthd-stopping', 'Berth is shutting down', 'start Berth again');
    await r.closeAll(stopping);
    expect(a.endedWith).toBe(stopping);
    expect(b.endedWith).toBe(stopping);
    expect(r.size).toBe(0);
    expect(() => r.add(handle('host'))).toThrow(stopping);
  });
});
