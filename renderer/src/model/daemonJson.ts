// Owns: the Docker Engine editor's text — daemon.json parsed and checked before it is saved (a JSON
// object, no TCP listener keys: Berth serves Docker only through its socket, T-01/T-03). Pure.

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type DaemonCheck = { ok: true; daemon: Record<string, JsonValue> } | { ok: false; message: string };

/** daemon.json as the editor shows it. */
export function formatDaemonJson(daemon: Record<string, unknown>): string {
  return `${JSON.stringify(daemon, null, 2)}\n`;
}

/** Line and column of a character offset, for "line 3, column 5". */
function position(text: string, offset: number): string {
  const before = text.slice(0, offset).split('\n');
  return `line ${before.length}, column ${(before.at(-1)?.length ?? 0) + 1}`;
}

export function checkDaemonJson(text: string): DaemonCheck {
  if (text.trim() === '') return { ok: true, daemon: {} };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, ' ');
    const at = /position (\d+)/.exec(why);
    const where = at && !/line \d+/.test(why) ? ` at ${position(text, Number(at[1]))}` : '';
    return { ok: false, message: `daemon.json is not valid JSON${where}: ${why.replace(/^JSON\.parse: /, '')}. Fix it, or undo your changes` };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'daemon.json must be one JSON object, like {"log-level": "warn"}' };
  }
  // dockerd reads keys case-insensitively, so "Hosts" counts as "hosts".
  const forbidden = Object.keys(value).filter((k) => /^(hosts|tls.*)$/i.test(k));
  if (forbidden.length > 0) {
    return { ok: false, message: `daemon.json "${forbidden.join('", "')}" is not allowed: Berth serves Docker only through its socket, never on TCP. Remove ${forbidden.length > 1 ? 'them' : 'it'}` };
  }
  return { ok: true, daemon: value as Record<string, JsonValue> };
}
