// Owns: the log views' pure parts — a bounded list of lines (new ones in, oldest out) and whether a
// scrolled view is at its end (so new lines keep it there; scrolled up, it pauses).

export function appendBounded<T>(lines: readonly T[], added: readonly T[], limit: number): T[] {
  const all = lines.length + added.length <= limit ? [...lines, ...added] : [...lines, ...added].slice(-limit);
  return all;
}

/** Within `slack` pixels of the bottom counts as at the bottom (sub-pixel scroll positions at zoom). */
export function isAtBottom(view: { scrollTop: number; clientHeight: number; scrollHeight: number }, slack = 24): boolean {
  return view.scrollHeight - view.scrollTop - view.clientHeight <= slack;
}

/** The lines that arrived after a snapshot: `seq` counts every line ever received, `lines` keeps the last ones. */
export function linesSince<T>(lines: readonly T[], seq: number, seqAtSnapshot: number): T[] {
  const fresh = Math.max(0, seq - seqAtSnapshot);
  return fresh === 0 ? [] : lines.slice(-Math.min(fresh, lines.length));
}
