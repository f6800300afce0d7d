// Small helpers over time-ordered outcomes, shared by the data-plane and
// control-plane metrics.

export interface Outcome {
  sentAt: number;
  ok: boolean;
}

/**
 * Send time of the first item after the last bad one, as an offset from `from`
 * (never negative): 0 if nothing was bad, null if the last item is bad.
 */
export function timeAfterLastBad<T extends { sentAt: number }>(items: readonly T[], isBad: (item: T) => boolean, from: number): number | null {
  let last = -1;
  items.forEach((item, i) => {
    if (isBad(item)) last = i;
  });
  if (last === -1) return 0;
  const next = items[last + 1];
  return next ? Math.max(0, next.sentAt - from) : null;
}

/**
 * Longest run of consecutive failures: how many, and how long that same run
 * lasted, from its first send to the next send (or `end`). One run gives both
 * figures (the most failures; of two as long, the longer in time): taken
 * apart, a count from one run beside a duration from another described no
 * run that happened (envoy-divergence D1).
 */
export function longestFailureRun(items: readonly Outcome[], end: number): { count: number; ms: number } {
  let count = 0;
  let ms = 0;
  let start = -1;
  items.forEach((item, i) => {
    if (item.ok) {
      start = -1;
      return;
    }
    if (start < 0) start = i;
    const n = i - start + 1;
    const lasted = (items[i + 1]?.sentAt ?? end) - items[start]!.sentAt;
    if (n > count || (n === count && lasted > ms)) {
      count = n;
      ms = lasted;
    }
  });
  return { count, ms };
}
