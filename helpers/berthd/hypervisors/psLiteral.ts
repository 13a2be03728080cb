// PowerShell literals for the Hyper-V scripts: every value a script gets is a single-quoted string (or a
// checked integer), so PowerShell never evaluates it — no $(), backticks, ; or quotes take effect (T-44).

/**
 * Characters PowerShell's tokenizer treats as a single quote: ' and the typographic ‘ ’ ‚ ‛. Inside a
 * single-quoted string any of them ends the string unless doubled, so each is doubled (as itself).
 */
const SINGLE_QUOTES = /['\u2018\u2019\u201a\u201b]/g;

/** A single-quoted PowerShell string holding exactly `value`. Control characters are refused. */
export function psString(value: string): string {
  // eslint-disable-next-line no-control-regex -- control characters are exactly what is refused
  if (/[\x00-\x1f\x7f\u0085\u2028\u2029]/.test(value)) {
    throw new Error(`${JSON.stringify(value)} holds a control character or line break; Berth passes no such value to PowerShell`);
  }
  return `'${value.replace(SINGLE_QUOTES, (q) => q + q)}'`;
}

/** A whole number as a PowerShell literal, checked to be one. */
export function psInt(value: number, what: string): string {
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${what} must be a whole number ≥ 0, not ${value}`);
  return String(value);
}

/** The parameter block of a script: one `$Name = <literal>` line per value, in order. */
export function psParams(values: Record<string, { s: string } | { n: number }>): string {
  return Object.entries(values)
    .map(([k, v]) => {
      if (!/^[A-Z][A-Za-z0-9]*$/.test(k)) throw new Error(`bad PowerShell variable name ${k}`);
      return `$${k} = ${'s' in v ? psString(v.s) : psInt(v.n, k)}`;
    })
    .join('\n');
}

/** powershell.exe -EncodedCommand takes the script as base64 of its UTF-16LE bytes. */
export function encodeCommand(script: string): string {
  return Buffer.from(script, 'utf16le').toString('base64');
}

/** The argv of powershell.exe running `script` (no profile, no prompts, no execution-policy prompt). */
export function powershellArgv(script: string): string[] {
  return ['-NoLogo', '-NoProfile', '-NonInteractive', '-ExecutionPolicy', 'Bypass', '-EncodedCommand', encodeCommand(script)];
}
