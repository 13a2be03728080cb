import { describe, expect, it } from 'vitest';
import { GiB, MiB, type Settings } from '../../../helpers/api/settings.ts';
import { clamp, describeBound, inputAttributes, inputValue, readResource, resourceBounds, resourceProblems } from './resourceLimits.ts';

const limits = { cpus: { min: 1, max: 2 }, memory: { min: GiB, max: 21.5 * GiB }, disk: { min: 8 * GiB, max: 16 * 1024 * GiB } };
const saved = { cpus: 2, memory: 2 * GiB, disk: 64 * GiB } as Settings;
const bounds = resourceBounds(limits, saved);

describe('resource limits', () => {
  it('the disk never goes below the saved size (grow only); other bounds are the host limits', () => {
    expect(bounds).toEqual({ cpus: { min: 1, max: 2 }, memory: { min: GiB, max: 21.5 * GiB }, disk: { min: 64 * GiB, max: 16 * 1024 * GiB } });
    expect(resourceBounds({ ...limits, disk: { min: 100 * GiB, max: limits.disk.max } }, saved).disk.min).toBe(100 * GiB);
  });

  it('readResource reads counts and GiB, refusing values outside the bounds with the bounds in words', () => {
    expect(readResource('cpus', '2', bounds.cpus)).toEqual({ ok: true, value: 2 });
    expect(readResource('cpus', '3', bounds.cpus)).toEqual({ ok: false, message: 'CPUs: 1–2 on this computer' });
    expect(readResource('cpus', '1.5', bounds.cpus)).toMatchObject({ ok: false });
    expect(readResource('memory', '4', bounds.memory)).toEqual({ ok: true, value: 4 * GiB });
    expect(readResource('memory', '1.3', bounds.memory)).toEqual({ ok: true, value: Math.round(1.3 * 1024) * MiB });
    expect(readResource('memory', '0.5', bounds.memory)).toMatchObject({ ok: false, message: expect.stringContaining('1 GiB – 21.5 GiB') });
    expect(readResource('memory', '32', bounds.memory)).toMatchObject({ ok: false });
    expect(readResource('disk', '128', bounds.disk)).toEqual({ ok: true, value: 128 * GiB });
    expect(readResource('disk', '32', bounds.disk)).toMatchObject({ ok: false, message: expect.stringContaining('can only grow') });
    expect(readResource('disk', '', bounds.disk)).toMatchObject({ ok: false, message: expect.stringContaining('type a number') });
    expect(readResource('disk', 'abc', bounds.disk)).toMatchObject({ ok: false });
  });

  it('input attributes are in the input units and every step inside them is allowed', () => {
    expect(inputAttributes('cpus', bounds.cpus)).toEqual({ min: 1, max: 2, step: 1 });
    expect(inputAttributes('memory', bounds.memory)).toEqual({ min: 1, max: 21.5, step: 0.25 });
    expect(inputAttributes('memory', { min: GiB, max: 21.43 * GiB })).toEqual({ min: 1, max: 21.25, step: 0.25 });
    expect(inputAttributes('disk', { min: 64.5 * GiB, max: 100 * GiB })).toEqual({ min: 65, max: 100, step: 1 });
  });

  it('clamp, inputValue and describeBound', () => {
    expect(clamp(5, bounds.cpus)).toBe(2);
    expect(clamp(0, bounds.cpus)).toBe(1);
    expect(inputValue('memory', 1.5 * GiB)).toBe('1.5');
    expect(inputValue('disk', 64 * GiB)).toBe('64');
    expect(inputValue('cpus', 2)).toBe('2');
    expect(describeBound('cpus', { min: 1, max: 1 })).toBe('1 on this computer');
  });

  it('resourceProblems names each resource out of bounds', () => {
    expect(resourceProblems({ cpus: 2, memory: 2 * GiB, disk: 64 * GiB }, bounds)).toEqual([]);
    expect(resourceProblems({ cpus: 4, memory: 2 * GiB, disk: 32 * GiB }, bounds)).toEqual(['CPUs 4 is outside 1–2 on this computer', 'Disk 32 GiB is outside 64 GiB – 16 TiB (the disk can only grow)']);
  });
});
