// The driver's account of its own schedule: how late each request left
// against its due time (lag), the largest gap between two sends, and the
// requests it could not send at all. These are the driver's figures, never the
// service's: a request not sent on time is recorded as 'driver-overload'. Pure.

/** Lag histogram resolution: 0.05 ms buckets up to 1 s, then one overflow bucket. */
const BUCKET_MS = 0.05;
const BUCKETS = 20_000;

export interface SendSummary {
  /** Requests handed to a connection. */
  sent: number;
  /** Requests due but not sent (no free connection, or due longer ago than the lag bound). */
  notSent: number;
  lagP50Ms: number | null;
  lagP99Ms: number | null;
  lagMaxMs: number | null;
  /** Lag p99 of requests due after `steadyFrom` (the first second's connection set-up left out); null when none. */
  steadyLagP99Ms: number | null;
  /** Largest gap between consecutive sends; null with fewer than two. */
  maxGapMs: number | null;
}

export class SendStats {
  private readonly lag = new Uint32Array(BUCKETS + 1);
  private readonly steadyLag = new Uint32Array(BUCKETS + 1);
  private steadySent = 0;
  private lagMax = 0;
  private steadyLagMax = 0;
  /** Requests due from this instant on also count in the steady figures. */
  steadyFrom = Infinity;
  /** A number from the start (not undefined until the first send): the field's shape never changes mid-run. */
  private lastSentAt = 0;
  private maxGap = 0;
  sent = 0;
  notSent = 0;

  /** A request that left at `sentAt`, due at `dueAt`. */
  sentOne(dueAt: number, sentAt: number): void {
    const lag = Math.max(0, sentAt - dueAt);
    const bucket = Math.min(BUCKETS, Math.floor(lag / BUCKET_MS));
    this.lag[bucket]!++;
    if (lag > this.lagMax) this.lagMax = lag;
    if (dueAt >= this.steadyFrom) {
      this.steadyLag[bucket]!++;
      this.steadySent++;
      if (lag > this.steadyLagMax) this.steadyLagMax = lag;
    }
    if (this.sent > 0 && sentAt - this.lastSentAt > this.maxGap) this.maxGap = sentAt - this.lastSentAt;
    this.lastSentAt = sentAt;
    this.sent++;
  }

  notSentOne(): void {
    this.notSent++;
  }

  /** The lag below which `q` (0–1) of sent requests left; bucket upper bound, capped at the largest seen. */
  lagQuantile(q: number, steady = false): number | null {
    const [counts, n, max] = steady ? [this.steadyLag, this.steadySent, this.steadyLagMax] : [this.lag, this.sent, this.lagMax];
    if (n === 0) return null;
    const rank = Math.ceil(q * n);
    let seen = 0;
    for (let i = 0; i <= BUCKETS; i++) {
      seen += counts[i]!;
      if (seen >= rank) return Math.min(max, (i + 1) * BUCKET_MS);
    }
    return max;
  }

  summary(): SendSummary {
    return {
      sent: this.sent,
      notSent: this.notSent,
      lagP50Ms: this.lagQuantile(0.5),
      lagP99Ms: this.lagQuantile(0.99),
      lagMaxMs: this.sent === 0 ? null : this.lagMax,
      steadyLagP99Ms: this.lagQuantile(0.99, true),
      maxGapMs: this.sent < 2 ? null : this.maxGap,
    };
  }
}

/**
 * Whether a request due at `dueAt` may still be sent at `now`. Past the bound
 * it is recorded as the driver's overload instead: sending it late would
 * stamp the service with the driver's stall (coordinated omission in reverse).
 * The bound is the larger of 2 intervals and `minMs`.
 */
export function tooLate(dueAt: number, now: number, ratePerSecond: number, minMs = 50): boolean {
  return now - dueAt > Math.max(minMs, 2000 / ratePerSecond);
}

/**
 * Connections the driver keeps at most: one request in flight on each
 * (pipelining 1), enough for the rate at the request timeout, within a bound
 * the file-descriptor limit allows. A request due when all are busy is not
 * sent (the driver's overload), never queued behind another.
 */
export function connectionBudget(ratePerSecond: number, timeoutMs: number, fdLimit = 16_384): number {
  const needed = Math.ceil((ratePerSecond * timeoutMs) / 1000) + 16;
  return Math.max(16, Math.min(needed, Math.floor(fdLimit / 2), 8192));
}
