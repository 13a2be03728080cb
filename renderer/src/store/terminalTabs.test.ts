import { describe, expect, it } from 'vitest';
import { closeTab, initialTabs, neighbourTab, openTab, selectTab, tabLabel } from './terminalTabs.ts';

const three = [
  ['vm', 'VM shell'],
  ['host', 'This computer'],
  ['container', 'web'],
] as const;

function withThree() {
  return three.reduce((s, [kind, label]) => openTab(s, kind === 'container' ? { kind, id: 'web' } : { kind }, label), initialTabs);
}

describe('terminal tabs', () => {
  it('a new tab is shown at once and gets a fresh id', () => {
    const s = withThree();
    expect(s.tabs.map((t) => [t.id, t.label])).toEqual([[1, 'VM shell'], [2, 'This computer'], [3, 'web']]);
    expect(s.active).toBe(3);
  });

  it('closing the shown tab shows the right neighbour, else the left; closing another keeps the shown one', () => {
    let s = selectTab(withThree(), 2);
    s = closeTab(s, 2);
    expect(s.active).toBe(3);
    s = closeTab(s, 3);
    expect(s.active).toBe(1);
    s = closeTab(s, 1);
    expect(s).toMatchObject({ tabs: [], active: undefined });
    const other = closeTab(withThree(), 1);
    expect(other.active).toBe(3);
    expect(closeTab(other, 99)).toBe(other);
  });

  it('select ignores unknown ids; ids are never reused', () => {
    const s = withThree();
    expect(selectTab(s, 42)).toBe(s);
    expect(openTab(closeTab(s, 3), { kind: 'vm' }, 'VM shell').tabs.at(-1)?.id).toBe(4);
  });

  it('arrow keys wrap around the tab list', () => {
    const s = withThree();
    expect(neighbourTab(s, 3, 1)).toBe(1);
    expect(neighbourTab(s, 1, -1)).toBe(3);
    expect(neighbourTab(s, 2, 1)).toBe(3);
    expect(neighbourTab(s, 9, 1)).toBeUndefined();
  });

  it('labels say what the session is', () => {
    expect(tabLabel({ kind: 'vm' })).toBe('VM shell');
    expect(tabLabel({ kind: 'host' })).toBe('This computer');
    expect(tabLabel({ kind: 'container', id: 'abc123' }, 'web-1')).toBe('web-1');
    expect(tabLabel({ kind: 'container', id: 'abc123' })).toBe('abc123');
  });
});
