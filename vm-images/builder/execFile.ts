// Runs build tools with argv arrays (never a shell string) and turns failures into readable errors.
// Used by every builder step that calls apt, dpkg-deb, go or zstd.
import { execFile as execFileCb, type ExecFileOptions } from 'node:child_process';
import { promisify } from 'node:util';

const execFileAsync = promisify(execFileCb);

export class ToolError extends Error {
  constructor(
    readonly argv: string[],
    readonly stderr: string,
    hint: string,
  ) {
    super(`${argv.join(' ')} failed: ${stderr.trim().split('\n').slice(-6).join('\n') || '(no output)'}\n${hint}`);
    this.name = 'ToolError';
  }
}

/** Run a tool and return its stdout; on failure throw a ToolError carrying `hint` (what to do). */
export async function runTool(argv: string[], hint: string, options: ExecFileOptions = {}): Promise<string> {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error('runTool: empty argv');
  try {
    const { stdout } = await execFileAsync(cmd, args, { maxBuffer: 64 * 1024 * 1024, encoding: 'utf8', ...options });
    return String(stdout);
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new ToolError(argv, `${cmd}: command not found`, hint);
    throw new ToolError(argv, String(e.stderr ?? e.message), hint);
  }
}
