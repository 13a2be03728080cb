// Reads the parameter block of Berth's generated Hyper-V scripts the way PowerShell's tokenizer reads
// single-quoted strings: any of ' ‘ ’ ‚ ‛ ends the string unless followed by another one. Used by the
// fake powershell; it refuses anything else on a parameter line, so a value that escaped its quotes fails.
const Q = "'\u2018\u2019\u201a\u201b";
const isQuote = (c) => c !== undefined && c.length === 1 && Q.includes(c);

/** Parse one literal: a whole single-quoted string, or a whole number. Throws if anything is left over. */
export function parseLiteral(text) {
  if (/^\d+$/.test(text)) return Number(text);
  if (!isQuote(text[0])) throw new Error(`not a literal: ${text}`);
  let out = '';
  let i = 1;
  for (;;) {
    if (i >= text.length) throw new Error(`unterminated string: ${text}`);
    const c = text[i];
    if (isQuote(c)) {
      if (isQuote(text[i + 1])) {
        out += c;
        i += 2;
        continue;
      }
      if (i + 1 !== text.length) throw new Error(`code after the string: ${text.slice(i + 1)}`);
      return out;
    }
    out += c;
    i++;
  }
}

/** { op, params, body } of a generated script. */
export function parseScript(script) {
  const lines = script.split('\n');
  const op = /^# berth-hyperv:(\w+)$/.exec(lines[0] ?? '')?.[1];
  if (!op) throw new Error('not a Berth Hyper-V script');
  const params = {};
  let i = 3; // header, $ErrorActionPreference, $ProgressPreference
  for (; i < lines.length; i++) {
    const m = /^\$([A-Z][A-Za-z0-9]*) = (.*)$/.exec(lines[i]);
    if (!m) break;
    params[m[1]] = parseLiteral(m[2]);
  }
  return { op, params, body: lines.slice(i).join('\n') };
}
