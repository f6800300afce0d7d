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

/** Longest run of consecutive failures: how many, and from its first send to the next send (or `end`). */
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
    count = Math.max(count, i - start + 1);
    ms = Math.max(ms, (items[i + 1]?.sentAt ?? end) - items[start]!.sentAt);
  });
  return { count, ms };
}
