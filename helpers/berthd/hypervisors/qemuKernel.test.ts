import { describe, expect, it } from 'vitest';
import { qemuKernel } from './qemuKernel.ts';

describe('qemuKernel', () => {
  it('boots the vmlinux beside the bzImage when the image has one', () => {
    expect(qemuKernel('/img/kernel', (p) => p === '/img/vmlinux')).toBe('/img/vmlinux');
  });

  it('boots the bzImage of an image built without vmlinux', () => {
    expect(qemuKernel('/img/kernel', () => false)).toBe('/img/kernel');
  });
});
