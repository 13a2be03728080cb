// Windows paths in bind mounts become the guest's share paths; everything else is left alone.
import { expect, it } from 'vitest';
import { isWindowsHostPath, translateBind, translateMountSource } from './windowsBindPaths.ts';

it('drive-letter and UNC sources become guest paths, targets and options are kept', () => {
  expect(translateBind('C:\\Users\\ann\\src:/src')).toBe('/c/Users/ann/src:/src');
  expect(translateBind('c:/Users/ann/My Project $(x):/app:ro')).toBe('/c/Users/ann/My Project $(x):/app:ro');
  expect(translateBind('D:\\data\\:/data:rw,z')).toBe('/d/data:/data:rw,z');
  expect(translateBind('\\\\server\\share\\dir:/mnt')).toBe('/unc/server/share/dir:/mnt');
});

it('named volumes, Linux paths and anonymous volumes are untouched', () => {
  expect(translateBind('myvolume:/data')).toBe('myvolume:/data');
  expect(translateBind('/c/Users/ann:/x')).toBe('/c/Users/ann:/x');
  expect(translateBind('/data')).toBe('/data');
  expect(translateMountSource('myvolume')).toBe('myvolume');
  expect(isWindowsHostPath('C:relative')).toBe(false);
});

it('Mounts[].Source, and paths with .. refused', () => {
  expect(translateMountSource('C:\\Users\\ann')).toBe('/c/Users/ann');
  expect(() => translateBind('C:\\Users\\..\\x:/x')).toThrow(/\.\./);
});
