import { describe, expect, it } from 'vitest';
import { screenFromHash, screenHref, screens } from './screens.ts';

describe('screens', () => {
  it('every screen reads back from its own address', () => {
    for (const s of screens) expect(screenFromHash(screenHref(s.id))).toBe(s.id);
  });
  it('an empty, unknown or token hash is the dashboard', () => {
    for (const h of ['', '#', '#/', '#/nope', '#token=abcdef0123456789', '#/images/x']) expect(screenFromHash(h)).toBe('dashboard');
  });
});
