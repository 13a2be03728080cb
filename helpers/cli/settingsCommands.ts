// Owns: `berth settings get|set|edit` — read and change settings through berthd, which validates them
// against this host and saves them atomically; `--apply` restarts the VM when a change needs it.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { formatSize } from '../api/settings.ts';
import type { BerthPaths } from '../berthd/paths.ts';
import { call } from '../client/controlClient.ts';
import { ensureDaemon } from './daemonLauncher.ts';
import { buildChange, SettingsArgError, settingAt, settingsLines } from './settingsArgs.ts';

export function registerSettingsCommands(program: Command, paths: BerthPaths, fail: (e: unknown) => never): void {
  const cmd = program.command('settings').description("the VM's settings: get, set key=value, edit in $EDITOR");

  cmd
    .command('get [key]')
    .description('print all settings, or one (dotted keys: ports.bindAddress)')
    .option('--json', 'print JSON')
    .action(async (key: string | undefined, opts: { json?: boolean }) => {
      await ensureDaemon(paths).catch(fail);
      const view = await call(paths.controlSocket, 'settingsGet').catch(fail);
      if (key !== undefined) {
        const v = settingAt(view.settings, key);
        if (v === undefined) fail(new Error(`there is no setting "${key}"; \`berth settings get\` lists them`));
        console.log(typeof v === 'string' && !opts.json ? v : JSON.stringify(v, null, opts.json ? 2 : undefined));
        return;
      }
      if (opts.json) return console.log(JSON.stringify(view, null, 2));
      for (const l of settingsLines(view.settings)) console.log(l);
      const { cpus, memory } = view.limits;
      console.log(`\nthis host allows: cpus ${cpus.min}–${cpus.max}, memory ${formatSize(memory.min)}–${formatSize(memory.max)}, disk at least ${formatSize(view.limits.disk.min)}`);
      if (view.restartPending.length > 0) console.log(`not yet in effect (restart the VM): ${view.restartPending.join(', ')}`);
      if (view.readOnly) console.log('settings.json is from a newer Berth: read-only here');
    });

  cmd
    .command('set <assignments...>')
    .description('change settings: berth settings set cpus=2 memory=3GiB [--apply]')
    .option('--apply', 'restart the VM now if a changed setting needs it')
    .action(async (assignments: string[], opts: { apply?: boolean }) => {
      await ensureDaemon(paths).catch(fail);
      const view = await call(paths.controlSocket, 'settingsGet').catch(fail);
      let change;
      try {
        change = buildChange(view.settings, assignments);
      } catch (e) {
        if (e instanceof SettingsArgError) {
          console.error(`berth: ${e.message}`);
          process.exit(2);
        }
        throw e;
      }
      if (opts.apply) console.log('berth: saving, and restarting the VM if a change needs it …');
      const r = await call(paths.controlSocket, 'settingsSet', { change, apply: Boolean(opts.apply) }).catch(fail);
      console.log(`berth: ${r.message}`);
    });

  cmd
    .command('edit')
    .description('edit settings.json in $EDITOR; validated before it is saved')
    .action(async () => {
      await ensureDaemon(paths).catch(fail);
      const view = await call(paths.controlSocket, 'settingsGet').catch(fail);
      const file = join(paths.runDir, `settings-edit-${process.pid}.json`);
      writeFileSync(file, `${JSON.stringify(view.settings, null, 2)}\n`, { mode: 0o600 });
      const [editor, ...args] = (process.env.VISUAL || process.env.EDITOR || 'vi').split(/\s+/).filter(Boolean);
      const ran = spawnSync(editor!, [...args, file], { stdio: 'inherit' });
      if (ran.error || ran.status !== 0) fail(new Error(`the editor ${editor} did not finish cleanly (${ran.error?.message ?? `exit ${ran.status}`}); nothing was changed — your edit is in ${file}`));
      let edited: unknown;
      try {
        edited = JSON.parse(readFileSync(file, 'utf8'));
      } catch (e) {
        fail(new Error(`the edited settings are not JSON (${(e as Error).message}); nothing was changed — fix ${file} and run \`berth settings edit\` again`));
      }
      if (typeof edited !== 'object' || edited === null || Array.isArray(edited)) fail(new Error(`the edited settings must be a JSON object; nothing was changed — your edit is in ${file}`));
      const { version: _version, ...change } = edited as Record<string, unknown>;
      const r = await call(paths.controlSocket, 'settingsSet', { change, apply: false }).catch((e: unknown) => {
        console.error(`(your edit is kept in ${file})`);
        return fail(e);
      });
      rmSync(file, { force: true });
      console.log(`berth: ${r.message}`);
    });
}
