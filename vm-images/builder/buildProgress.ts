// The builder's progress line: phase, step within the phase, elapsed time; one line per phase
// when the output is not a terminal (CI logs), a rewritten line when it is.
export class BuildProgress {
  private readonly start = Date.now();
  private phase = '';
  constructor(private readonly out: Pick<NodeJS.WriteStream, 'write' | 'isTTY' | 'columns'> = process.stderr) {}

  elapsed(): string {
    return `${((Date.now() - this.start) / 1000).toFixed(1)}s`;
  }

  step(phase: string, detail = ''): void {
    const line = `[${this.elapsed()}] ${phase}${detail ? ` — ${detail}` : ''}`;
    if (this.out.isTTY) this.out.write(`\r\x1b[2K${line.slice(0, (this.out.columns ?? 100) - 1)}`);
    else if (phase !== this.phase) this.out.write(`${line}\n`);
    this.phase = phase;
  }

  done(message: string): void {
    if (this.out.isTTY) this.out.write('\r\x1b[2K');
    this.out.write(`[${this.elapsed()}] ${message}\n`);
  }
}
