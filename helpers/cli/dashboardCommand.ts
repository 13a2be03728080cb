// Owns: `berth dashboard` — makes sure berthd runs (not the VM), finds or builds the renderer, serves it
// on 127.0.0.1 through the token-guarded bridge, prints the URL and opens the browser; Ctrl-C ends it.
import { InvalidArgumentError, type Command } from 'commander';
import type { BerthPaths } from '../berthd/paths.ts';
import { openInBrowser } from '../client/dashboard/browserOpener.ts';
import { startDashboard } from '../client/dashboard/dashboardServer.ts';
import { ensureRendererDist } from '../client/dashboard/rendererDist.ts';
import { ensureDaemon } from './daemonLauncher.ts';

const portArg = (v: string): number => {
  const n = Number(v);
  if (!/^\d+$/.test(v) || !Number.isInteger(n) || n < 0 || n > 65535) throw new InvalidArgumentError('a port number from 0 (any free port) to 65535');
  return n;
};

export function registerDashboardCommand(program: Command, paths: BerthPaths, fail: (e: unknown) => never): void {
  program
    .command('dashboard')
    .description('serve the dashboard to your browser on 127.0.0.1 (for use without the tray app); Ctrl-C stops it')
    .option('--no-open', 'only print the URL; do not open a browser')
    .option('-p, --port <port>', 'the port on 127.0.0.1 (default: a free one)', portArg, 0)
    .action(async (opts: { open: boolean; port: number }) => {
      const daemon = await ensureDaemon(paths).catch(fail);
      if (daemon === 'started') console.log('berth: started berthd (the VM stays stopped until you press Start or run `berth start`)');
      const distDir = await ensureRendererDist((line) => console.error(line)).catch(fail);
      const dashboard = await startDashboard({ distDir, controlSocket: paths.controlSocket, port: opts.port }).catch(fail);
      console.log(`Berth dashboard: ${dashboard.url}`);
      console.log('Press Ctrl-C to stop');
      if (opts.open) void openInBrowser(dashboard.url, (message) => console.error(`berth: ${message}`));

      let stopping = false;
      const stop = (): void => {
        if (stopping) return;
        stopping = true;
        // berthd keeps running (the tray, the CLI and Docker use it too); `berth quit` stops it.
        void dashboard.close().then(() => process.exit(0));
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
}
