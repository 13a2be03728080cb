// Owns: opening the dashboard's URL in the user's browser — the opener and its argv for each platform
// (pure), and running it without a shell, in its own process group so Ctrl-C here never reaches the browser.
import { spawn } from 'node:child_process';

export type OpenerCommand = { cmd: string; args: string[]; windowsVerbatimArguments?: boolean };

/** Only the URL `berth dashboard` makes is ever handed to an opener (cmd.exe would read `&`, `^`, `%`). */
export const DASHBOARD_URL_PATTERN = /^http:\/\/127\.0\.0\.1:\d{1,5}\/#token=[0-9a-f]{64}$/;

/**
 * xdg-open on Linux and the BSDs, open on macOS, and `cmd /c start "" <url>` on Windows (the empty
 * title keeps start from taking the URL as the window title; verbatim so Node adds no quotes of its own).
 */
export function openerCommand(url: string, platform: NodeJS.Platform = process.platform): OpenerCommand {
  if (!DASHBOARD_URL_PATTERN.test(url)) throw new Error(`refusing to open ${JSON.stringify(url)}: not a dashboard URL`);
  if (platform === 'darwin') return { cmd: 'open', args: [url] };
  if (platform === 'win32') return { cmd: 'cmd', args: ['/c', 'start', '""', url], windowsVerbatimArguments: true };
  return { cmd: 'xdg-open', args: [url] };
}

/**
 * Starts the opener. Resolves once it started (true) or could not start (false); `problem` is told
 * what went wrong and what to do — a missing opener or one that exits with an error never stops the
 * dashboard, which keeps serving.
 */
export function openInBrowser(url: string, problem: (message: string) => void, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const { cmd, args, windowsVerbatimArguments } = openerCommand(url, platform);
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { stdio: 'ignore', detached: platform !== 'win32', windowsVerbatimArguments, windowsHide: true, env });
    child.once('error', (e: NodeJS.ErrnoException) => {
      problem(e.code === 'ENOENT' ? `could not open a browser: \`${cmd}\` is not installed; open the URL above yourself` : `could not open a browser (${cmd}: ${e.message}); open the URL above yourself`);
      resolve(false);
    });
    child.once('spawn', () => {
      child.unref();
      resolve(true);
    });
    child.once('exit', (code) => {
      if (code !== null && code !== 0) problem(`could not open a browser (\`${cmd}\` exited with ${code}); open the URL above yourself`);
    });
  });
}
