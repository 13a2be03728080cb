// `npm start`: installs what is missing (Debian packages when root, npm dependencies), builds the
// VM image when it is out of date, then `berth start`. Plain Node: it runs before `npm ci`.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const say = (m) => console.log(`berth: ${m}`);
const fail = (m) => {
  console.error(`berth: ${m}`);
  process.exit(1);
};
const run = (cmd, args, opts = {}) => spawnSync(cmd, args, { cwd: root, stdio: 'inherit', ...opts }).status === 0;
const has = (cmd) => spawnSync('sh', ['-c', 'command -v "$1"', 'sh', cmd], { stdio: 'ignore' }).status === 0;

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 20 || (major === 20 && minor < 19)) fail(`Node ${process.versions.node} is too old; Berth needs Node 20.19 or newer.`);

const tools = { 'qemu-system-x86_64': 'qemu-system-x86', 'qemu-img': 'qemu-utils', go: 'golang-go', zstd: 'zstd', 'dpkg-deb': 'dpkg', 'apt-get': 'apt' };
const missing = [...new Set(Object.entries(tools).filter(([t]) => !has(t)).map(([, p]) => p))];
if (missing.includes('apt')) fail('this machine has no apt-get: building the VM image needs a Debian or Ubuntu host (see README.md).');
if (missing.length) {
  const wanted = readFileSync(join(root, 'scripts/debian-packages.txt'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#'));
  if (process.getuid?.() !== 0) fail(`missing tools; install them first:\n  sudo apt-get update && sudo apt-get install -y ${wanted.join(' ')}`);
  say(`installing Debian packages: ${wanted.join(' ')}`);
  if (!run('apt-get', ['update', '-qq']) || !run('apt-get', ['install', '-y', '-qq', ...wanted], { env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } })) {
    fail('apt-get could not install the packages above; fix apt (see its message) and run `npm start` again.');
  }
}
const policy = spawnSync('apt-cache', ['policy', 'busybox-static'], { encoding: 'utf8' }).stdout ?? '';
if (!/Candidate: (?!\(none\))/.test(policy)) {
  if (process.getuid?.() !== 0) fail('apt has no package lists yet; run `sudo apt-get update`, then `npm start` again.');
  say('apt has no package lists; running apt-get update');
  if (!run('apt-get', ['update', '-qq'])) fail('apt-get update failed; check this machine reaches its Debian mirror.');
}
if (!existsSync(join(root, 'node_modules/.package-lock.json'))) {
  say('installing npm dependencies (npm ci)');
  if (!run('npm', ['ci', '--no-audit', '--no-fund'], { env: { ...process.env, ELECTRON_SKIP_BINARY_DOWNLOAD: '1' } })) fail('npm ci failed; see above.');
}
say('building the VM image (seconds when nothing changed)');
if (!run('npm', ['run', '--silent', 'vm:build'])) fail('the VM image did not build; the error above says why.');
if (!run(process.execPath, ['helpers/cli/bin/berth.mjs', 'start'])) process.exit(1);
say('stop it with `npm run berth -- stop` (or `npx berth stop`); `npx berth status` shows its state.');
say('`npx berth dashboard` opens the dashboard (containers, images, settings, terminal) in your browser.');
