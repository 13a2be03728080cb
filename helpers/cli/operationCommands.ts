// Owns: the operations commands — `berth shell`, `logs`, `doctor`, `reset`, `disk reclaim` — thin
// clients of berthd's control API (guest logs ride an exec stream; host logs are read from disk).
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline/promises';
import { InvalidArgumentError, type Command } from 'commander';
import type { DoctorReport } from '../api/diagnostics.ts';
import { formatSize } from '../api/settings.ts';
import { runDoctor } from '../berthd/diagnostics/doctorFacts.ts';
import { describeResetPlan } from '../berthd/vm/factoryReset.ts';
import type { BerthPaths } from '../berthd/paths.ts';
import { call } from '../client/controlClient.ts';
import { daemonRunning, ensureDaemon } from './daemonLauncher.ts';
import { tailFile } from './fileTail.ts';
import { portsTable } from './portsTable.ts';
import { runGuestCommand } from './guestExecClient.ts';

export const logSources = ['berthd', 'console', 'docker', 'agent', 'containerd'] as const;
type LogSource = (typeof logSources)[number];
/** Guest services log to /var/log/<name>.log (vm-images/rootfs/sbin/berth-service). */
const guestLogFile: Partial<Record<LogSource, string>> = { docker: '/var/log/dockerd.log', agent: '/var/log/agent.log', containerd: '/var/log/containerd.log' };

const count = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 1_000_000) throw new InvalidArgumentError('a whole number of lines');
  return n;
};

export function registerOperationCommands(program: Command, paths: BerthPaths, fail: (e: unknown) => never): void {
  program
    .command('shell [command...]')
    .description('a root shell in the VM, or one command: berth shell -- uname -a')
    .option('-t, --tty', 'use a terminal even for a command')
    .option('-T, --no-tty', 'no terminal even for the interactive shell')
    .action(async (command: string[], opts: { tty?: boolean }) => {
      if (!(await daemonRunning(paths))) fail(new Error('the VM is not running; start it with `berth start`'));
      const argv = command.length > 0 ? command : ['/bin/sh', '-l'];
      // Like ssh: a terminal for the interactive shell when stdin is one, none for a command unless -t.
      const tty = opts.tty ?? (command.length === 0 && Boolean(process.stdin.isTTY));
      const r = await runGuestCommand(paths.controlSocket, argv, { tty, stdout: process.stdout, stderr: process.stderr, forwardSignals: true }).catch(fail);
      process.exit(r.code);
    });

  program
    .command('doctor')
    .description("check this host and Berth, and say how to fix what is wrong (exit 1 when a check fails)")
    .option('--json', 'print the report as JSON')
    .action(async (opts: { json?: boolean }) => {
      // Run here, not in berthd, so the checks see this shell's DOCKER_HOST and docker config.
      // No berthd (or one that does not answer) leaves the VM's checks out, never the host's.
      const s = await call(paths.controlSocket, 'status', {}, 5000).catch(() => undefined);
      const report = await runDoctor(paths, {
        ...(s ? { settings: s.settings, vm: s.vm } : {}),
        ...(s?.clock && s.state === 'running' ? { guestClockDriftSeconds: s.clock.driftMs / 1000 } : {}),
        ...(s?.accel ? { accelSetting: s.accel.requested } : {}),
      }).catch(fail);
      if (opts.json) console.log(JSON.stringify(report, null, 2));
      else printDoctor(report);
      process.exit(report.ok ? 0 : 1);
    });

  program
    .command('reset')
    .description("factory reset: stop the VM and delete its disk (images, containers, volumes) and Berth's runtime state")
    .option('-f, --force', 'do not ask for confirmation')
    .option('--settings', 'also delete settings.json (back to the defaults)')
    .action(async (opts: { force?: boolean; settings?: boolean }) => {
      const body = { includeSettings: Boolean(opts.settings) };
      await ensureDaemon(paths).catch(fail);
      const plan = await call(paths.controlSocket, 'resetPlan', body).catch(fail);
      for (const l of describeResetPlan(plan)) console.log(l);
      if (!opts.force) {
        if (!process.stdin.isTTY) fail(new Error('nothing was deleted: confirm in a terminal, or run `berth reset --force`'));
        const rl = createInterface({ input: process.stdin, output: process.stdout });
        const answer = await rl.question('Type "reset" to delete these: ');
        rl.close();
        if (answer.trim() !== 'reset') {
          console.log('berth: nothing was deleted');
          return;
        }
      }
      const r = await call(paths.controlSocket, 'reset', body).catch(fail);
      const freed = r.result.deleted.reduce((n, d) => n + d.bytes, 0);
      console.log(`berth: ${r.stopped}; deleted ${r.result.deleted.length} files (${formatSize(freed)}):`);
      for (const d of r.result.deleted) console.log(`  ${d.path}`);
      for (const k of r.result.kept) console.log(`  kept: ${k}`);
      console.log('berth: `berth start` boots a fresh VM');
    });

  program
    .command('logs [source]')
    .description(`print a log: ${logSources.join(', ')} (default berthd)`)
    .option('-f, --follow', 'keep printing new lines')
    .option('-n, --lines <n>', 'lines from the end', count, 100)
    .action(async (source: string | undefined, opts: { follow?: boolean; lines: number }) => {
      const src = (source ?? 'berthd') as LogSource;
      if (!logSources.includes(src)) fail(new Error(`there is no log "${source}": choose one of ${logSources.join(', ')}`));
      const guestFile = guestLogFile[src];
      if (guestFile) {
        if (!(await daemonRunning(paths))) fail(new Error(`the ${src} log is inside the VM, which is not running; start it with \`berth start\``));
        const argv = ['/bin/busybox', 'tail', '-n', String(opts.lines), ...(opts.follow ? ['-f'] : []), guestFile];
        const r = await runGuestCommand(paths.controlSocket, argv, { stdout: process.stdout, stderr: process.stderr, stdin: false, forwardSignals: true }).catch(fail);
        process.exit(r.code);
      }
      const file = src === 'console' ? paths.consoleLog : paths.berthdLog;
      if (!existsSync(file)) fail(new Error(`${file} does not exist yet: it is written once ${src === 'console' ? 'the VM boots' : 'berthd runs'}`));
      const stop = tailFile(file, { lines: opts.lines, follow: Boolean(opts.follow), write: (s) => process.stdout.write(s) });
      if (opts.follow) process.once('SIGINT', () => (stop(), process.exit(0)));
    });

  program
    .command('ports')
    .description('published container ports and their host listeners: state and bytes moved')
    .option('--json', 'print JSON')
    .action(async (opts: { json?: boolean }) => {
      if (!(await daemonRunning(paths))) fail(new Error('berthd is not running, so no ports are forwarded; start it with `berth start`'));
      const r = await call(paths.controlSocket, 'ports').catch(fail);
      if (opts.json) return console.log(JSON.stringify(r, null, 2));
      if (r.forwards.length === 0) return console.log('no published ports (publish with docker run -p HOSTPORT:CONTAINERPORT)');
      for (const l of portsTable(r.forwards)) console.log(l);
    });

  const disk = program.command('disk').description("the VM's disk");
  disk
    .command('reclaim')
    .description("give the VM disk's free space back to the host (fstrim in the guest)")
    .action(async () => {
      if (!(await daemonRunning(paths))) fail(new Error('the VM is not running; start it with `berth start`, then reclaim'));
      const r = await call(paths.controlSocket, 'diskReclaim', {}).catch(fail);
      console.log(`berth: ${r.message}`);
    });
}

function printDoctor(report: DoctorReport): void {
  const mark = { ok: 'ok  ', warn: 'warn', fail: 'FAIL' } as const;
  for (const c of report.checks) {
    console.log(`[${mark[c.status]}] ${c.title}: ${c.detail}`);
    if (c.fix && c.status !== 'ok') console.log(`       fix: ${c.fix}`);
  }
  const bad = report.checks.filter((c) => c.status === 'fail').length;
  const warn = report.checks.filter((c) => c.status === 'warn').length;
  console.log(`\n${bad === 0 ? 'no problems' : `${bad} problem${bad > 1 ? 's' : ''}`}${warn ? `, ${warn} warning${warn > 1 ? 's' : ''}` : ''}`);
}
