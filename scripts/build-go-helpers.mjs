// Builds the Go helpers berthd starts, for each host platform the app ships on, into
// dist/bin/<platform>-<arch>/ (Node's names): hvsock-bridge.exe for Hyper-V, berth-ninep-server for
// HyperKit's shares and for shares over the guest link (Linux; berth-ninep-server.exe on Hyper-V). electron-builder copies the target's
// directory to resources/berthd/bin (build/electron-builder.config.mjs); helperBinaries.ts finds them.
import { execFile } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'dist', 'bin');

/** What each host platform runs. darwin-arm64 has none: HyperKit is Intel-only, QEMU serves shares there. */
export const GO_HELPERS = [
  { dir: 'helpers/ninep-server', binary: 'berth-ninep-server', targets: [['linux', 'amd64'], ['darwin', 'amd64'], ['windows', 'amd64']] },
  { dir: 'helpers/hvsock-bridge', binary: 'hvsock-bridge', targets: [['windows', 'amd64']] },
];
const NODE_NAMES = { linux: 'linux', darwin: 'darwin', windows: 'win32', amd64: 'x64', arm64: 'arm64' };

const env = { ...process.env, CGO_ENABLED: '0', GOPROXY: 'off', GOFLAGS: '-buildvcs=false', GOCACHE: join(root, 'vm-images/.cache/go-build') };
rmSync(out, { recursive: true, force: true });
for (const dirName of ['linux-x64', 'darwin-x64', 'darwin-arm64', 'win32-x64']) mkdirSync(join(out, dirName), { recursive: true });
const started = Date.now();
const built = [];
for (const h of GO_HELPERS) {
  for (const [goos, goarch] of h.targets) {
    const file = join(out, `${NODE_NAMES[goos]}-${NODE_NAMES[goarch]}`, goos === 'windows' ? `${h.binary}.exe` : h.binary);
    try {
      await run('go', ['build', '-trimpath', '-ldflags=-s -w', '-o', file, '.'], { cwd: join(root, h.dir), env: { ...env, GOOS: goos, GOARCH: goarch } });
    } catch (e) {
      console.error(`go helpers: building ${h.binary} for ${goos}/${goarch} failed:\n${e.stderr ?? e.message}\nInstall Go (Debian: apt-get install golang-go) and run npm run build again.`);
      process.exit(1);
    }
    built.push(`${goos}/${goarch} ${h.binary}`);
  }
}
console.log(`go helpers: ${built.join(', ')} in dist/bin (${((Date.now() - started) / 1000).toFixed(1)} s)`);
