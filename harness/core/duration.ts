import { z } from 'zod';

const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

/** Parses "500ms", "5s", "1.5m" (or a bare number of milliseconds) to milliseconds. */
export function parseDuration(input: string | number): number | undefined {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : undefined;
  const match = DURATION.exec(input.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2]!]!;
}

/**
 * The longest duration anything takes: a day. Timers hold at most 2^31−1 ms
 * (≈ 24.8 days) and fire at once above it, so an unbounded "36000m" would run
 * a fault phase of no time at all.
 */
export const MAX_DURATION_MS = 24 * 60 * 60 * 1000;

/** A zod schema accepting "5s"-style strings or milliseconds, producing milliseconds. */
export const durationSchema = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a duration like "500ms", "5s" or "1m", got ${JSON.stringify(value)}`,
    });
    return z.NEVER;
  }
  if (ms > MAX_DURATION_MS) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is longer than the 24 h a run may last` });
    return z.NEVER;
  }
  return ms;
});
