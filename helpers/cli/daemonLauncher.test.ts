// Tests: which berthd the CLI starts — the bundled berthd.mjs beside a bundled CLI, else the source via tsx.
import { describe, expect, it } from 'vitest';
import { berthdCommand } from './daemonLauncher.ts';

describe('berthdCommand', () => {
  it('a bundled CLI (dist/berth.mjs, or a packaged app) starts the berthd.mjs beside it', () => {
    const cmd = berthdCommand('/opt/Berth/resources/berthd', (p) => p === '/opt/Berth/resources/berthd/berthd.mjs');
    expect(cmd).toEqual({ args: ['--max-semi-space-size=1', '/opt/Berth/resources/berthd/berthd.mjs'], cwd: '/opt/Berth/resources/berthd', script: '/opt/Berth/resources/berthd/berthd.mjs' });
  });

  it('the CLI from the repository starts berthd from source through tsx', () => {
    const cmd = berthdCommand('/repo/helpers/cli', () => false);
    expect(cmd).toEqual({ args: ['--max-semi-space-size=1', '--import', 'tsx', '/repo/helpers/berthd/main.ts'], cwd: '/repo', script: '/repo/helpers/berthd/main.ts' });
  });
});
