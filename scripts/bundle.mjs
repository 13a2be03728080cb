// Bundles what the desktop app ships, one file each with esbuild: dist/berthd.mjs and dist/berth.mjs
// (Node 20, node-pty left outside: it is native), dist/electron/main.cjs and dist/electron/preload.cjs.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { build } from 'esbuild';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist');

// ESM bundles of CommonJS packages (dockerode, commander …) need require, __filename and __dirname.
const esmShim = [
  "import { createRequire as __berthCreateRequire } from 'node:module';",
  "import { fileURLToPath as __berthFileURLToPath } from 'node:url';",
  "import { dirname as __berthDirname } from 'node:path';",
  'const require = __berthCreateRequire(import.meta.url);',
  'const __filename = __berthFileURLToPath(import.meta.url);',
  'const __dirname = __berthDirname(__filename);',
].join('\n');

const node = { bundle: true, platform: 'node', logLevel: 'warning', legalComments: 'none', sourcemap: 'linked', metafile: true };
/** Native or optional modules resolved at run time, beside the bundle (node-pty ships in extraResources). */
const nativeExternal = ['node-pty', 'cpu-features', 'bufferutil', 'utf-8-validate', '*.node'];

/**
 * dockerode loads ssh2 (Docker over SSH) and grpc-js/protobufjs (BuildKit sessions) at require time;
 * berthd only speaks to dockerd over its unix socket. Left out, idle berthd's RSS drops by ~18 MB
 * (docs/performance.md); a stub that throws says so if a code path ever reaches them.
 */
const unusedByBerthd = {
  name: 'unused-by-berthd',
  setup(b) {
    b.onResolve({ filter: /^(ssh2|@grpc\/grpc-js|@grpc\/proto-loader|protobufjs)(\/.*)?$/ }, (a) => ({ path: a.path, namespace: 'unused-by-berthd' }));
    b.onLoad({ filter: /.*/, namespace: 'unused-by-berthd' }, (a) => ({
      loader: 'js',
      contents: `const fail = () => { throw new Error(${JSON.stringify(`${a.path} is not bundled into berthd (Docker over SSH and BuildKit sessions are not used)`)}); };
const stub = new Proxy(fail, { get: (_t, k) => (k === '__esModule' || k === 'default' ? undefined : stub), apply: fail, construct: fail });
module.exports = stub;`,
    }));
  },
};

const targets = [
  { ...node, entryPoints: [join(root, 'helpers/berthd/main.ts')], outfile: join(out, 'berthd.mjs'), format: 'esm', target: 'node20', external: nativeExternal, banner: { js: esmShim }, plugins: [unusedByBerthd] },
  {
    ...node,
    entryPoints: [join(root, 'helpers/cli/main.ts')],
    outfile: join(out, 'berth.mjs'),
    format: 'esm',
    target: 'node20',
    external: nativeExternal,
    banner: { js: `#!/usr/bin/env node\n${esmShim}` },
  },
  // Electron 45 runs Node 22 in the main process; `electron` itself is provided by the runtime.
  { ...node, entryPoints: [join(root, 'electron/main/main.ts')], outfile: join(out, 'electron/main.cjs'), format: 'cjs', target: 'node22', external: ['electron', ...nativeExternal] },
  // A sandboxed preload gets only a browser-like require('electron'): no Node builtins can bundle in.
  { ...node, platform: 'browser', entryPoints: [join(root, 'electron/preload/preload.ts')], outfile: join(out, 'electron/preload.cjs'), format: 'cjs', target: 'chrome130', external: ['electron'] },
];

mkdirSync(join(out, 'electron'), { recursive: true });
mkdirSync(join(out, 'meta'), { recursive: true });
const summary = [];
for (const t of targets) {
  const result = await build(t);
  const bytes = Object.values(result.metafile.outputs).reduce((n, o) => (o.entryPoint ? n + o.bytes : n), 0);
  summary.push(`${t.outfile.slice(root.length)} ${(bytes / 1024).toFixed(0)} KiB`);
  writeFileSync(join(out, 'meta', `${t.outfile.slice(out.length + 1).replace(/\//g, '-')}.json`), JSON.stringify(result.metafile));
}
console.log(`bundle: ${summary.join(', ')}`);
