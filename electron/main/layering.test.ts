// Tests: the shell's import rules, which the Electron binary's absence makes load-bearing — only the
// two entries (main.ts, preload.ts) import `electron` as a value, so every module a unit test loads runs
// without the binary; main reaches berthd only through helpers/client (and paths.ts for the socket's place).
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const here = new URL('..', import.meta.url).pathname; // electron/
const sources = readdirSync(here, { recursive: true })
  .map(String)
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.test.ts'))
  .map((f) => ({ file: f, text: readFileSync(join(here, f), 'utf8') }));

/** Every `import … from '…'` (and `export … from`) of a module, with whether it is type-only. */
function imports(text: string): { spec: string; typeOnly: boolean }[] {
  return [...text.matchAll(/^(import|export)\s+(type\s+)?[^'"]*?from\s+'([^']+)';/gms)].map((m) => ({ spec: m[3] as string, typeOnly: m[2] !== undefined }));
}

describe('electron/ import rules', () => {
  it('only main/main.ts and preload/preload.ts import electron as a value', () => {
    const valueImports = sources.filter((s) => imports(s.text).some((i) => i.spec === 'electron' && !i.typeOnly)).map((s) => s.file);
    expect(valueImports.sort()).toEqual(['main/main.ts', 'preload/preload.ts']);
    expect(sources.some((s) => /require\(['"]electron['"]\)/.test(s.text))).toBe(false);
  });

  it('the preload imports nothing from Node and nothing outside electron/common, electron/preload and helpers/api', () => {
    for (const s of sources.filter((x) => x.file.startsWith('preload/'))) {
      for (const i of imports(s.text)) {
        if (i.spec === 'electron') continue;
        expect(i.spec, s.file).toMatch(/^\.\.?\//);
        const target = relative(here, join(here, s.file, '..', i.spec));
        expect(/^(common|preload)\//.test(target) || target.startsWith('../helpers/api/'), `${s.file} imports ${i.spec}`).toBe(true);
      }
    }
  });

  it('common/ is shared by main and preload: no Node, no Electron', () => {
    for (const s of sources.filter((x) => x.file.startsWith('common/'))) {
      for (const i of imports(s.text)) expect(i.spec === 'zod' || i.spec.startsWith('.'), `${s.file} imports ${i.spec}`).toBe(true);
    }
  });

  it('main reaches berthd through helpers/client; of helpers/berthd only paths.ts (where the socket is)', () => {
    for (const s of sources.filter((x) => x.file.startsWith('main/'))) {
      for (const i of imports(s.text).filter((x) => x.spec.includes('/helpers/'))) {
        expect(/\/helpers\/(api|client)\//.test(i.spec) || i.spec.endsWith('/helpers/berthd/paths.ts'), `${s.file} imports ${i.spec}`).toBe(true);
      }
    }
  });
});
