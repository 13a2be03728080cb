// `npm run vm:boot` (the end of `npm start` for now): boots the built image once on the user's data
// disk under $BERTH_HOME, shows the boot phases on one progress line, reports Docker ready, powers off.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, chmodSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { QemuProcess } from '../hypervisors/qemuProcess.ts';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const image = join(repo, 'vm-images', 'out', 'x86_64');
const home = process.env.BERTH_HOME ?? join(homedir(), '.berth');
const phases: [RegExp, string][] = [
  [/^berth: init/, 'kernel started'],
  [/^berth: modules loaded/, 'drivers loaded'],
  [/^berth: network up/, 'network up'],
  [/^berth: disk (formatted|ready)/, 'disk ready'],
  [/^berth: boot steps done/, 'starting Docker'],
];

function fail(message: string): never {
  process.stderr.write(`\nberth: ${message}\n`);
  process.exit(1);
}

if (!existsSync(join(image, 'manifest.json'))) fail('the VM image is not built: run `npm run vm:build`.');
const manifest = JSON.parse(readFileSync(join(image, 'manifest.json'), 'utf8')) as { cmdline: string };
for (const d of [home, join(home, 'vm'), join(home, 'logs'), join(home, 'run')]) {
  mkdirSync(d, { recursive: true });
  chmodSync(d, 0o700);
}
const disk = join(home, 'vm', 'data.qcow2');
if (!existsSync(disk)) execFileSync('qemu-img', ['create', '-q', '-f', 'qcow2', disk, '64G']);

const t0 = Date.now();
const vm = QemuProcess.start({
  name: 'berth',
  cpus: 2,
  memoryMiB: 2048,
  accel: 'tcg',
  kernel: join(image, 'kernel'),
  initrd: join(image, 'initrd.img'),
  cmdline: manifest.cmdline,
  dataDisk: { path: disk, format: 'qcow2' },
  consoleLog: join(home, 'logs', 'console.log'),
  qmpSocket: join(home, 'run', 'qmp.sock'),
});
const stopOnSignal = (): void => void vm.kill().then(() => process.exit(130));
process.on('SIGINT', stopOnSignal);
process.on('SIGTERM', stopOnSignal);

let phase = 'booting';
const show = (): void => {
  const line = `berth: ${phase} … ${((Date.now() - t0) / 1000).toFixed(1)}s`;
  process.stdout.write(process.stdout.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
};
vm.console.onLine((line) => {
  for (const [re, name] of phases) {
    if (!re.test(line)) continue;
    phase = name;
    show();
  }
  if (/^berth: (boot failed|docker failed|disk:.*refusing)/.test(line)) process.stdout.write(`\n${line}\n`);
});
const ticker = process.stdout.isTTY ? setInterval(show, 500) : undefined;
show();
try {
  const ready = await vm.console.waitFor(/^berth: docker ready version=(\S+)/, 300_000);
  if (ticker) clearInterval(ticker);
  process.stdout.write(process.stdout.isTTY ? '\r\x1b[2K' : '');
  console.log(`berth: Docker Engine ${ready[1]} answered inside the VM ${((Date.now() - t0) / 1000).toFixed(1)} s after QEMU started (acceleration: tcg).`);
  console.log(`berth: console log: ${join(home, 'logs', 'console.log')}; data disk: ${disk}`);
  console.log('berth: this build has no host-side Docker socket yet, so the VM is powered off again.');
  const { graceful, ms } = await vm.powerdown(30_000);
  console.log(`berth: VM ${graceful ? 'shut down cleanly' : 'did not shut down in 30 s and was forced off'} in ${(ms / 1000).toFixed(1)} s.`);
} catch (e) {
  if (ticker) clearInterval(ticker);
  await vm.kill();
  fail(`${(e as Error).message}\nThe whole console log is in ${join(home, 'logs', 'console.log')}.`);
}
