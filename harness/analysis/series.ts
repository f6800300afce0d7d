import type { ClientSeriesData, ControlPlaneSeriesData } from '../core/journal.js';
import type { ProbeRecord, StatusRecord } from '../probes/record.js';
import type { RequestRecord } from '../traffic/record.js';
import { nearestRank } from './percentile.js';

// Time series for charts: counts per fixed-width bin, so a chart's size does
// not grow with the number of records. Failures are counted, never sampled.

export type ClientSeries = ClientSeriesData;
export type ControlPlaneSeries = ControlPlaneSeriesData;

const BIN_CHOICES = [100, 250, 500, 1000, 2000, 5000, 10_000, 30_000, 60_000, 300_000];

/** Requests a bin should hold at least, so a bar is a rate and not the noise of one or two requests. */
const MIN_PER_BIN = 5;

/**
 * The smallest bin that keeps a run within `maxBins` bins and, given the
 * request rate, holds at least MIN_PER_BIN requests (20 req/s: 250 ms bins;
 * 1000 req/s: 100 ms).
 */
export function binSize(durationMs: number, maxBins = 600, ratePerSecond = Infinity): number {
  const minForRate = (MIN_PER_BIN * 1000) / ratePerSecond;
  return BIN_CHOICES.find((b) => durationMs / b <= maxBins && b >= minForRate) ?? BIN_CHOICES[BIN_CHOICES.length - 1]!;
}

/** The coarsest locality level at which successful requests differ; one pass, stops early. */
function groupLevel(records: Iterable<RequestRecord>): ClientSeries['groupBy'] {
  let first: RequestRecord | undefined;
  let level: ClientSeries['groupBy'] = 'instance';
  for (const r of records) {
    if (r.error !== null) continue;
    if (!first) {
      first = r;
      continue;
    }
    if (r.region !== first.region) return 'region';
    if (r.zone !== first.zone) level = 'zone';
    else if (level === 'instance' && r.subzone !== first.subzone) level = 'subzone';
  }
  return level;
}

/** `records` in any order; read twice. */
export function clientSeries(records: Iterable<RequestRecord>, start: number, end: number, binMs: number): ClientSeries {
  const n = Math.max(1, Math.ceil((end - start) / binMs));
  const groupBy = groupLevel(records);
  const groupIndex = new Map<string, number>();
  const served: number[][] = [];
  const failed = new Array<number>(n).fill(0);
  const latencies: number[][] = Array.from({ length: n }, () => []);
  for (const r of records) {
    const i = Math.floor((r.sentAt - start) / binMs);
    // Not sent on time is the driver's, not a failure of the service (metrics.md).
    if (i < 0 || i >= n || r.error === 'driver-overload') continue;
    if (r.error !== null) {
      failed[i]!++;
      continue;
    }
    const key = (groupBy === 'instance' ? r.instance : r[groupBy]) ?? '';
    let g = groupIndex.get(key);
    if (g === undefined) {
      g = groupIndex.size;
      groupIndex.set(key, g);
      served.push(new Array<number>(n).fill(0));
    }
    served[g]![i]!++;
    latencies[i]!.push(r.latencyMs);
  }
  const order = [...groupIndex.entries()].sort(([a], [b]) => a.localeCompare(b));
  const p50: (number | null)[] = [];
  const max: (number | null)[] = [];
  for (const bin of latencies) {
    bin.sort((a, b) => a - b);
    p50.push(bin.length ? Math.round(nearestRank(bin, 0.5) * 100) / 100 : null);
    max.push(bin.length ? Math.round(bin[bin.length - 1]! * 100) / 100 : null);
  }
  return { start, binMs, groupBy, groups: order.map(([k]) => k), served: order.map(([, g]) => served[g]!), failed, p50, max };
}

export function controlPlaneSeries(probes: readonly ProbeRecord[], statuses: readonly StatusRecord[], start: number, end: number, binMs: number): ControlPlaneSeries {
  const n = Math.max(1, Math.ceil((end - start) / binMs));
  const zeros = () => new Array<number>(n).fill(0);
  const s: ControlPlaneSeries = { start, binMs, writesOk: zeros(), writesFailed: zeros(), linearizableOk: zeros(), linearizableFailed: zeros(), serializableOk: zeros(), serializableFailed: zeros(), leader: new Array(n).fill(null) };
  for (const p of probes) {
    const i = Math.floor((p.sentAt - start) / binMs);
    if (i < 0 || i >= n) continue;
    const [ok, bad] = p.probe === 'write' ? [s.writesOk, s.writesFailed] : p.probe === 'read-linearizable' ? [s.linearizableOk, s.linearizableFailed] : [s.serializableOk, s.serializableFailed];
    (p.ok ? ok : bad)[i]!++;
  }
  const bestTerm = new Array<number>(n).fill(-1);
  for (const st of statuses) {
    const i = Math.floor((st.sentAt - start) / binMs);
    if (i < 0 || i >= n || !st.ok || st.leader === null) continue;
    if ((st.term ?? 0) >= bestTerm[i]!) {
      bestTerm[i] = st.term ?? 0;
      s.leader[i] = st.leader;
    }
  }
  return s;
}
