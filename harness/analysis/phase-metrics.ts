import { localityKey, tierOf, type FailoverRule, type Locality, type Tier } from '../core/locality.js';
import type { PhaseMetrics } from '../core/journal.js';
import type { RequestRecord } from '../traffic/record.js';
import { nearestRank } from './percentile.js';
import { longestFailureRun } from './sequence.js';

export function servedLocality(r: RequestRecord): Locality | undefined {
  if (r.error !== null || r.region === null) return undefined;
  return { cluster: r.cluster ?? '', region: r.region, zone: r.zone ?? '', subzone: r.subzone ?? '' };
}

function shares(counts: Map<string, number>, total: number): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [key, n] of [...counts].sort(([a], [b]) => a.localeCompare(b))) out[key] = total === 0 ? 0 : n / total;
  return out;
}

function bump(map: Map<string, number>, key: string): void {
  map.set(key, (map.get(key) ?? 0) + 1);
}

/** Metrics of one client's requests in one phase; `records` sorted by sentAt, all inside [start, end). */
export function phaseMetrics(
  records: readonly RequestRecord[],
  bounds: { start: number; end: number },
  client: Locality,
  failover: readonly FailoverRule[],
): PhaseMetrics {
  const errors: Record<string, number> = {};
  const latencies: number[] = [];
  const byRegion = new Map<string, number>();
  const byZone = new Map<string, number>();
  const bySubzone = new Map<string, number>();
  const byInstance = new Map<string, number>();
  const tierCounts = [0, 0, 0, 0, 0];
  let sameSubzone = 0;
  let sameZone = 0;
  let sameRegion = 0;
  const run = longestFailureRun(
    records.map((r) => ({ sentAt: r.sentAt, ok: servedLocality(r) !== undefined })),
    bounds.end,
  );

  for (const r of records) {
    const served = servedLocality(r);
    if (!served) {
      errors[r.error ?? 'other'] = (errors[r.error ?? 'other'] ?? 0) + 1;
      continue;
    }
    latencies.push(r.latencyMs);
    // Qualified keys: a zone (or subzone) name may repeat across regions (zones).
    bump(byRegion, served.region);
    bump(byZone, localityKey(served, 'zone'));
    if (served.subzone) bump(bySubzone, localityKey(served, 'subzone'));
    bump(byInstance, r.instance ?? '');
    const tier: Tier = tierOf(client, served, failover);
    tierCounts[tier]!++;
    if (served.region === client.region) {
      sameRegion++;
      if (served.zone === client.zone) {
        sameZone++;
        if (served.subzone === client.subzone) sameSubzone++;
      }
    }
  }

  const succeeded = latencies.length;
  const failed = records.length - succeeded;
  const ratio = (n: number) => (succeeded === 0 ? 0 : n / succeeded);
  latencies.sort((a, b) => a - b);
  return {
    start: bounds.start,
    end: bounds.end,
    requests: records.length,
    succeeded,
    failed,
    errorRate: records.length === 0 ? 0 : failed / records.length,
    errors,
    longestFailureRun: run.count,
    blackoutMs: run.ms,
    latencyMs:
      succeeded === 0
        ? null
        : { p50: nearestRank(latencies, 0.5), p90: nearestRank(latencies, 0.9), p99: nearestRank(latencies, 0.99), max: latencies[succeeded - 1]! },
    locality: { sameSubzone: ratio(sameSubzone), sameZone: ratio(sameZone), sameRegion: ratio(sameRegion), otherRegion: ratio(succeeded - sameRegion) },
    tiers: { p0: ratio(tierCounts[0]!), p1: ratio(tierCounts[1]!), p2: ratio(tierCounts[2]!), p3: ratio(tierCounts[3]!), p4: ratio(tierCounts[4]!) },
    servedBy: { region: shares(byRegion, succeeded), zone: shares(byZone, succeeded), subzone: shares(bySubzone, succeeded), instance: shares(byInstance, succeeded) },
  };
}
