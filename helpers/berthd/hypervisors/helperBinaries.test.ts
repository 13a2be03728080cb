// Tests: the Go helpers are found in the packaged app's layout, in a build beside the bundle and from the
// sources, per platform; an override wins; a missing helper names the app's place in the error.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { helperBinary, helperCandidates } from './helperBinaries.ts';

describe('helperBinary', () => {
  it('in the app: resources/berthd/bin, with .exe on Windows', () => {
    const here = join('C:', 'Program Files', 'Berth', 'resources', 'berthd');
    const p = helperBinary('hvsock-bridge', { env: {}, platform: 'win32', arch: 'x64', here, exists: (f) => f === join(here, 'bin', 'hvsock-bridge.exe') });
    expect(p).toBe(join(here, 'bin', 'hvsock-bridge.exe'));
  });

  it('in a build: dist/bin/<platform>-<arch> beside dist/berthd.mjs, or from the sources', () => {
    const dist = '/repo/dist';
    const built = join(dist, 'bin', 'darwin-x64', 'berth-ninep-server');
    expect(helperBinary('berth-ninep-server', { env: {}, platform: 'darwin', arch: 'x64', here: dist, exists: (f) => f === built })).toBe(built);
    const fromSources = helperCandidates('berth-ninep-server', { platform: 'linux', arch: 'x64', here: '/repo/helpers/berthd/hypervisors' });
    expect(fromSources[2]).toBe(join('/repo', 'dist', 'bin', 'linux-x64', 'berth-ninep-server'));
  });

  it('an override wins; nothing found gives the app layout path for the error', () => {
    expect(helperBinary('hvsock-bridge', { env: { BERTH_HVSOCK_BRIDGE: '/x/bridge.exe' }, exists: () => false })).toBe('/x/bridge.exe');
    expect(helperBinary('berth-ninep-server', { env: {}, platform: 'linux', arch: 'x64', here: '/opt/berth/resources/berthd', exists: () => false })).toBe('/opt/berth/resources/berthd/bin/berth-ninep-server');
  });

  it('from this checkout after npm run build, the real files are found', () => {
    const p = helperBinary('berth-ninep-server', { env: {}, platform: 'linux', arch: 'x64' });
    expect(p).toMatch(/dist\/bin\/linux-x64\/berth-ninep-server$/);
  });
});
