// `berth`: the command line, a thin client of berthd's control API — start, stop, restart, status,
// quit, settings, shell, logs, doctor, reset, disk, dashboard. Errors say what happened and what to do; exit 0/1/2.
import { Command, InvalidArgumentError } from 'commander';
import type { Status } from '../api/vmState.ts';
import { berthPaths } from '../berthd/paths.ts';
import { call, ControlApiError, DaemonUnreachable, followEvents } from '../client/controlClient.ts';
import { daemonRunning, ensureDaemon } from './daemonLauncher.ts';
import { registerDashboardCommand } from './dashboardCommand.ts';
import { registerDockerSocketCommand } from './dockerSocketCommand.ts';
import { registerOperationCommands } from './operationCommands.ts';
import { registerSettingsCommands } from './settingsCommands.ts';
import { progressLine, readyLines } from './startProgress.ts';
import { formatSize } from '../api/settings.ts';

const paths = berthPaths();
const out = process.stdout;

function fail(e: unknown): never {
  if (e instanceof ControlApiError) console.error(`berth: ${e.message}\n  → ${e.hint}`);
  else if (e instanceof DaemonUnreachable) console.error(`berth: berthd is not running (${paths.controlSocket}); start it with \`berth start\``);
  else console.error(`berth: ${(e as Error).message}`);
  process.exit(1);
}

const seconds = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > 600) throw new InvalidArgumentError('a whole number of seconds from 1 to 600');
  return n;
};

async function startVm(label: 'start' | 'restart', timeoutSeconds = 30): Promise<void> {
  const t0 = Date.now();
  await ensureDaemon(paths);
  let last = '';
  const render = (line: string): void => {
    if (line === last) return;
    last = line;
    out.write(out.isTTY ? `\r\x1b[2K${line}` : `${line}\n`);
  };
  let vm: Parameters<typeof progressLine>[0] | undefined;
  const stopFollowing = followEvents(paths.controlSocket, (e) => {
    if (e.type === 'state') {
      vm = e.vm;
      render(progressLine(e.vm, Date.now() - t0));
    }
  });
  const ticker = out.isTTY ? setInterval(() => vm && render(progressLine(vm, Date.now() - t0)), 250) : undefined;
  try {
    const status = label === 'restart' ? await call(paths.controlSocket, 'restart', { timeoutSeconds }) : await call(paths.controlSocket, 'start', {});
    if (out.isTTY) out.write('\r\x1b[2K');
    for (const l of readyLines(status, Date.now() - t0)) console.log(l);
  } catch (e) {
    if (out.isTTY) out.write('\n');
    const s = await call(paths.controlSocket, 'status').catch(() => undefined);
    if (s?.vm.state === 'error' && s.vm.lastLog.length) console.error(`The VM console's last lines:\n  ${s.vm.lastLog.join('\n  ')}`);
    fail(e);
  } finally {
    if (ticker) clearInterval(ticker);
    stopFollowing();
  }
}

function printStatus(s: Status): void {
  const lines = [`state:          ${s.state}${s.vm.state === 'starting' ? ` (${s.vm.phase})` : ''}`];
  if (s.vm.state === 'running' && s.vm.degraded.length) lines.push(`degraded:       ${s.vm.degraded.map((d) => `${d.what}: ${d.message}`).join('; ')}`);
  if (s.vm.state === 'error') lines.push(`error:          ${s.vm.reason}`, `what to do:     ${s.vm.hint}`);
  if (s.vm.state === 'stopped' && s.vm.lastExit) lines.push(`last stop:      ${s.vm.lastExit}`);
  if (s.pid) lines.push(`VM pid:         ${s.pid}`);
  if (s.accel) lines.push(`acceleration:   ${s.accel.accel} — ${s.accel.why}`);
  if (s.uptimeSeconds !== undefined) lines.push(`uptime:         ${s.uptimeSeconds} s`);
  if (s.dockerVersion) lines.push(`docker:         ${s.dockerVersion}`);
  if (s.resources) lines.push(`resources:      ${s.resources.cpus} CPUs, ${formatSize(s.resources.memoryBytes)} memory, ${formatSize(s.resources.diskBytes)} disk`);
  if (s.restartPending?.length) lines.push(`restart needed: ${s.restartPending.join(', ')} changed since the VM started (\`berth restart\`)`);
  if (s.adopted) lines.push('adopted:        this berthd took over a VM an earlier berthd started');
  if (s.clock) lines.push(`guest clock:    ${Math.abs(s.clock.driftMs) < 1000 ? 'in step' : 'off'} (${(s.clock.driftMs / 1000).toFixed(3)} s from the host)${s.clock.lastCorrection ? `; last set ${new Date(s.clock.lastCorrection.at).toISOString()} (${s.clock.lastCorrection.why})` : ''}`);
  if (s.shares) lines.push(`shares (${s.shares.transport}): ${s.shares.mounted.join(', ') || 'none'}`);
  for (const p of s.shares?.problems ?? []) lines.push(`  not shared:   ${p}`);
  if (s.settings.status !== 'ok') lines.push(`settings:       ${s.settings.status}${s.settings.badFile ? ` — the damaged file was kept as ${s.settings.badFile}` : ''}`);
  for (const n of s.settings.notes) lines.push(`  note:         ${n}`);
  lines.push(`docker socket:  ${s.dockerSocket}`, `berthd:         pid ${s.berthdPid}, home ${s.berthHome}`);
  console.log(lines.join('\n'));
}

const program = new Command('berth').description('Berth: Linux containers on your desktop').showHelpAfterError();

program.command('start').description('start berthd and the VM; returns when Docker answers').action(() => startVm('start').catch(fail));

program
  .command('stop')
  .description('shut the VM down cleanly (ACPI), forcing it off after the timeout')
  .option('-t, --timeout <seconds>', 'seconds to wait for a clean shutdown', seconds, 30)
  .action(async (opts: { timeout: number }) => {
    if (!(await daemonRunning(paths))) return console.log('berth: not running');
    const r = await call(paths.controlSocket, 'stop', { timeoutSeconds: opts.timeout }).catch(fail);
    console.log(`berth: ${r.message}`);
  });

program
  .command('restart')
  .description('stop then start the VM')
  .option('-t, --timeout <seconds>', 'seconds to wait for a clean shutdown', seconds, 30)
  .action((opts: { timeout: number }) => startVm('restart', opts.timeout).catch(fail));

program
  .command('status')
  .description("the VM's state, acceleration, Docker version and socket")
  .option('--json', 'print the status as JSON')
  .action(async (opts: { json?: boolean }) => {
    if (!(await daemonRunning(paths))) {
      if (opts.json) console.log(JSON.stringify({ state: 'stopped', berthd: 'not running', dockerSocket: paths.dockerSocket }));
      else console.log('state:          stopped (berthd is not running)');
      return;
    }
    const s = await call(paths.controlSocket, 'status').catch(fail);
    if (opts.json) console.log(JSON.stringify(s, null, 2));
    else printStatus(s);
  });

program
  .command('quit')
  .description('stop the VM and berthd itself')
  .action(async () => {
    if (!(await daemonRunning(paths))) return console.log('berth: not running');
    const r = await call(paths.controlSocket, 'stop', { timeoutSeconds: 30 }).catch(fail);
    await call(paths.controlSocket, 'shutdownDaemon', {}).catch(fail);
    console.log(`berth: ${r.message}; berthd stopped`);
  });

registerSettingsCommands(program, paths, fail);
registerOperationCommands(program, paths, fail);
registerDashboardCommand(program, paths, fail);
registerDockerSocketCommand(program, paths);

await program.parseAsync(process.argv);
