// The lines of a vitest failure message that say why, for the end of a CI log (CI keeps only its tail). The
// first line alone can be the start of a message the test attached (a run's console output), which says nothing:
// the lines that name a failed assertion, a refusal or the comparison that failed follow it. Pure.

const ANSI = /\x1b\[[0-9;]*m/g;
const TELLING = /✗|refused|could not|expected|Error:|error:|exit \d/;

/** At most `max` lines: the message's first, then those that say why, each cut at 240 characters. */
export function failureLines(message: string | undefined, max = 6): string[] {
  const lines = (message ?? '').replace(ANSI, '').split('\n');
  // The stack trace says where, not why.
  const end = lines.findIndex((l) => /^\s+at /.test(l));
  const body = (end === -1 ? lines : lines.slice(0, end)).map((l) => l.trim()).filter((l) => l.length > 0);
  if (body.length === 0) return [''];
  const telling = body.slice(1).filter((l) => TELLING.test(l));
  return [body[0]!, ...(max > 1 ? [...new Set(telling)].slice(-(max - 1)) : [])].map((l) => l.slice(0, 240));
}
