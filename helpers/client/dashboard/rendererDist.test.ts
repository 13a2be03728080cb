// Owns: tests of finding the renderer's built files — BERTH_RENDERER_DIST, renderer/dist of a checkout,
// and the errors when it is missing and cannot be built.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureRendererDist, locateRendererDist, repoRoot, viteBuildArgv } from './rendererDist.ts';

const root = mkdtempSync(join(tmpdir(), 'berth-dist-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('dashboard bridge: the renderer files', () => {
  it('dashboard bridge: renderer/dist counts only when it holds index.html; vite.config.ts makes it buildable', () => {
    expect(locateRendererDist({}, root)).toEqual({ found: false, dir: join(root, 'renderer', 'dist'), buildable: false });
    mkdirSync(join(root, 'renderer', 'dist'), { recursive: true });
    writeFileSync(join(root, 'renderer', 'vite.config.ts'), 'export default {};');
    expect(locateRendererDist({}, root)).toEqual({ found: false, dir: join(root, 'renderer', 'dist'), buildable: true });
    writeFileSync(join(root, 'renderer', 'dist', 'index.html'), '<!doctype html>');
    expect(locateRendererDist({}, root)).toEqual({ found: true, dir: join(root, 'renderer', 'dist') });
  });

  it('dashboard bridge: BERTH_RENDERER_DIST wins, and a wrong one is an error that says so', async () => {
    const other = join(root, 'other');
    mkdirSync(other);
    expect(locateRendererDist({ BERTH_RENDERER_DIST: other }, root)).toEqual({ found: false, dir: other, buildable: false });
    await expect(ensureRendererDist(() => {}, { BERTH_RENDERER_DIST: other }, root)).rejects.toThrow(/BERTH_RENDERER_DIST .* has no index.html/);
    writeFileSync(join(other, 'index.html'), '<!doctype html>');
    expect(await ensureRendererDist(() => {}, { BERTH_RENDERER_DIST: other }, root)).toBe(other);
  });

  it('dashboard bridge: a checkout without the renderer sources says what is missing', async () => {
    const bare = mkdtempSync(join(tmpdir(), 'berth-bare-'));
    try {
      await expect(ensureRendererDist(() => {}, {}, bare)).rejects.toThrow(/not built .*vite\.config\.ts is not there/);
    } finally {
      rmSync(bare, { recursive: true, force: true });
    }
  });

  it("dashboard bridge: Vite is run through this Node with its bin script, never npx or a shell", () => {
    const argv = viteBuildArgv(repoRoot);
    expect(argv[0]).toMatch(/node_modules\/vite\/bin\/vite\.js$/);
    expect(argv.slice(1)).toEqual(['build', '--config', join('renderer', 'vite.config.ts')]);
  });
});
