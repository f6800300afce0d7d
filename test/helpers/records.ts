import type { RequestRecord } from '../../harness/traffic/record.js';

type Served = { zone: string; region?: string; subzone?: string; instance?: string };

/** A synthetic record: `served` for a success, an error class for a failure. */
export function rec(sentAt: number, served: Served | 'fail', latencyMs = 1): RequestRecord {
  if (served === 'fail') {
    return { client: 'c', sentAt, latencyMs, status: 503, error: 'http-status', instance: null, cluster: null, region: null, zone: null, subzone: null };
  }
  return {
    client: 'c',
    sentAt,
    latencyMs,
    status: 200,
    error: null,
    instance: served.instance ?? `${served.zone}-1`,
    cluster: 'c1',
    region: served.region ?? 'r1',
    zone: served.zone,
    subzone: served.subzone ?? '',
  };
}

/** Records every `step` ms from `from` (inclusive) to `to` (exclusive). */
export function series(from: number, to: number, step: number, outcome: (t: number) => Served | 'fail'): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = from; t < to; t += step) out.push(rec(t, outcome(t)));
  return out;
}
