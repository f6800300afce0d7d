/**
 * Open-model schedule: request i is due at start + i/rate, whether or not
 * earlier requests have answered, so a stalled server cannot slow the sender
 * down and hide its own stall (no coordinated omission).
 */
export function dueCount(startMs: number, nowMs: number, ratePerSecond: number): number {
  if (nowMs < startMs) return 0;
  return Math.floor(((nowMs - startMs) * ratePerSecond) / 1000) + 1;
}

export function dueAt(startMs: number, index: number, ratePerSecond: number): number {
  return startMs + (index * 1000) / ratePerSecond;
}
