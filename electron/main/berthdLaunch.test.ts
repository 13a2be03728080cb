// Tests: how the app starts berthd (detached under Node, under a development Electron, or as a utility
// process of a packaged app without Node), where it looks for Node, and where the app's parts are.
import { describe, expect, it } from 'vitest';
import { appLocations } from './appLocations.ts';
import { berthdLaunchPlan, findNode, nodeCandidates, nodeVersionOk } from './berthdLaunch.ts';

const input = { packaged: true, berthdScript: '/opt/Berth/resources/berthd/berthd.mjs', node: undefined, electronExec: '/opt/Berth/berth', env: { BERTH_HOME: '/h', ELECTRON_RUN_AS_NODE: '1' } };

describe('berthdLaunchPlan', () => {
  it('with Node.js found: detached, so berthd outlives the app', () => {
    const plan = berthdLaunchPlan({ ...input, node: '/usr/bin/node' });
    expect(plan).toMatchObject({ kind: 'detached', command: '/usr/bin/node', args: ['--max-semi-space-size=1', '/opt/Berth/resources/berthd/berthd.mjs'] });
    expect(plan.env).toEqual({ BERTH_HOME: '/h' });
  });

  it('packaged without Node.js: a utility process (the fuses forbid ELECTRON_RUN_AS_NODE)', () => {
    const plan = berthdLaunchPlan(input);
    expect(plan).toMatchObject({ kind: 'utility', modulePath: '/opt/Berth/resources/berthd/berthd.mjs', execArgv: ['--max-semi-space-size=1'], why: expect.stringContaining('stops with it') });
    expect(plan.env.ELECTRON_RUN_AS_NODE).toBeUndefined();
  });

  it('development run without Node.js: this Electron runs berthd as Node', () => {
    expect(berthdLaunchPlan({ ...input, packaged: false, berthdScript: '/repo/dist/berthd.mjs' })).toMatchObject({
      kind: 'detached',
      command: '/opt/Berth/berth',
      args: ['--max-semi-space-size=1', '/repo/dist/berthd.mjs'],
      env: { BERTH_HOME: '/h', ELECTRON_RUN_AS_NODE: '1' },
    });
  });
});

describe('finding Node.js', () => {
  it('BERTH_NODE first, then PATH, then the usual install places, without repeats', () => {
    expect(nodeCandidates({ BERTH_NODE: '/x/node', PATH: '/usr/local/bin:/home/u/.nvm/bin' }, 'linux')).toEqual(['/x/node', '/usr/local/bin/node', '/home/u/.nvm/bin/node', '/usr/bin/node']);
    expect(nodeCandidates({ PATH: '/usr/bin:/bin' }, 'darwin')).toEqual(['/usr/bin/node', '/bin/node', '/opt/homebrew/bin/node', '/usr/local/bin/node']);
  });

  it('accepts 20.19 and newer only', () => {
    expect(['v20.19.0\n', 'v22.1.0', 'v21.0.0'].map(nodeVersionOk)).toEqual([true, true, true]);
    expect(['v20.18.3', 'v18.20.0', 'not node', ''].map(nodeVersionOk)).toEqual([false, false, false, false]);
  });

  it('takes the first that runs and is new enough', async () => {
    const versions: Record<string, string> = { '/a/node': 'v18.0.0', '/c/node': 'v20.19.2' };
    await expect(findNode(['/a/node', '/b/node', '/c/node'], async (c) => versions[c])).resolves.toBe('/c/node');
    await expect(findNode(['/a/node'], async (c) => versions[c])).resolves.toBeUndefined();
  });

  it('probes a real binary: this Node', async () => {
    await expect(findNode([process.execPath])).resolves.toBe(process.execPath);
    await expect(findNode(['/nonexistent/node'])).resolves.toBeUndefined();
  });
});

describe('appLocations', () => {
  it('packaged: resources beside app.asar, preload beside main', () => {
    expect(appLocations({ packaged: true, resourcesPath: '/opt/Berth/resources', mainDir: '/opt/Berth/resources/app.asar/dist/electron' })).toEqual({
      rendererDir: '/opt/Berth/resources/renderer',
      iconsDir: '/opt/Berth/resources/icons',
      preloadPath: '/opt/Berth/resources/app.asar/dist/electron/preload.cjs',
      berthdScript: '/opt/Berth/resources/berthd/berthd.mjs',
    });
  });

  it('development: the repository build output', () => {
    expect(appLocations({ packaged: false, resourcesPath: '/x', mainDir: '/repo/dist/electron' })).toEqual({
      rendererDir: '/repo/renderer/dist',
      iconsDir: '/repo/build/icons',
      preloadPath: '/repo/dist/electron/preload.cjs',
      berthdScript: '/repo/dist/berthd.mjs',
    });
  });
});
