import { tierOf, type FailoverRule, type Locality, type Tier } from '../core/locality.js';
import type { RequestRecord } from '../traffic/record.js';
import { servedLocality } from './phase-metrics.js';
import { timeAfterLastBad } from './sequence.js';

export interface RecoveryOptions {
  /** Sliding window length (default 1000 ms). */
  windowMs: number;
  /** Success ratio every window must reach (default 1.0). */
  threshold: number;
}

/**
 * Recovery time, as DESIGN.md defines it: from t_f to the send time of the
 * first request after which every sliding window (anchored at each request, cut
 * at the end of the run) has a success ratio ≥ threshold.
 * 0 if no request failed; null if the run ends in a bad window.
 * `records`: the fault and recovery phases, sorted by sentAt. The recovery
 * phase counts too: a fault shorter than detection (or one that only heals
 * with its revert) still gets a recovery time.
 */
export function recoveryTimeMs(records: readonly RequestRecord[], injectedAt: number, options: RecoveryOptions): number | null {
  if (records.every((r) => r.error === null)) return 0;
  let lastBad = -1;
  let windowEnd = 0;
  let successes = 0;
  // Two pointers: window i covers records [i, windowEnd).
  for (let i = 0; i < records.length; i++) {
    while (windowEnd < records.length && records[windowEnd]!.sentAt < records[i]!.sentAt + options.windowMs) {
      if (records[windowEnd]!.error === null) successes++;
      windowEnd++;
    }
    const size = windowEnd - i;
    if (successes / size < options.threshold) lastBad = i;
    if (records[i]!.error === null) successes--;
  }
  if (lastBad === -1) return 0;
  const first = records[lastBad + 1];
  if (!first) return null;
  return Math.max(0, first.sentAt - injectedAt);
}

/** The best tier that has any endpoint for this client. */
export function preferredTier(client: Locality, endpoints: readonly Locality[], failover: readonly FailoverRule[]): Tier {
  return Math.min(...endpoints.map((e) => tierOf(client, e, failover))) as Tier;
}

function outsidePreferred(r: RequestRecord, client: Locality, preferred: Tier, failover: readonly FailoverRule[]): boolean {
  const served = servedLocality(r);
  return served !== undefined && tierOf(client, served, failover) !== preferred;
}

/** From t_f to the first successful request served outside the preferred tier; null if there is none. */
export function timeToFailoverMs(
  faultRecords: readonly RequestRecord[],
  injectedAt: number,
  client: Locality,
  preferred: Tier,
  failover: readonly FailoverRule[],
): number | null {
  const first = faultRecords.find((r) => outsidePreferred(r, client, preferred, failover));
  return first ? Math.max(0, first.sentAt - injectedAt) : null;
}

/**
 * From t_r (revert completed) to the send time of the first request after
 * which every successful request of the recovery phase is served by the
 * preferred tier. 0 if none was served elsewhere; null if the phase ends
 * still served elsewhere.
 */
export function failbackTimeMs(
  recoveryRecords: readonly RequestRecord[],
  revertedAt: number,
  client: Locality,
  preferred: Tier,
  failover: readonly FailoverRule[],
): number | null {
  return timeAfterLastBad(recoveryRecords, (r) => outsidePreferred(r, client, preferred, failover), revertedAt);
}

/**
 * Ejection time: from t_f to the last request, sent during the fault, that
 * reached a faulted instance: the last one it answered (with any status) by
 * the records, or, when the instances report it (gray faults), the last one
 * it received, which covers answers too slow to reach the client. How fast the
 * mesh stopped sending to it. 0 when none reached one after t_f; null when the
 * faults name no instance, or when one was still reached in the last
 * `windowMs` of the fault phase (it was never ejected). `records` sorted.
 */
export function ejectionTimeMs(records: readonly RequestRecord[], injectedAt: number, faultEnd: number, faulted: ReadonlySet<string>, windowMs: number, lastArrival?: number): number | null {
  if (faulted.size === 0) return null;
  let last = Number.NEGATIVE_INFINITY;
  for (const r of records) {
    if (r.sentAt < injectedAt || r.sentAt >= faultEnd) continue;
    if (r.instance !== null && faulted.has(r.instance)) last = r.sentAt;
  }
  if (lastArrival !== undefined && lastArrival >= injectedAt && lastArrival < faultEnd) last = Math.max(last, lastArrival);
  if (last === Number.NEGATIVE_INFINITY) return 0;
  if (last >= faultEnd - windowMs) return null;
  return last - injectedAt;
}

/** The largest gap between consecutive sends: no time figure of this client is finer. `records` sorted by sentAt. */
export function largestSendGapMs(records: readonly RequestRecord[], fallbackMs: number): number {
  let gap = 0;
  for (let i = 1; i < records.length; i++) gap = Math.max(gap, records[i]!.sentAt - records[i - 1]!.sentAt);
  return records.length < 2 ? fallbackMs : gap;
}
