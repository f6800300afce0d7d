import { describe, expect, it } from 'vitest';
import { phaseMetrics } from '../../harness/analysis/phase-metrics.js';
import { nearestRank } from '../../harness/analysis/percentile.js';
import { rec } from '../helpers/records.js';

const client = { cluster: 'c1', region: 'r1', zone: 'a', subzone: 's1' };

describe('phaseMetrics', () => {
  const records = [
    rec(0, { zone: 'a', subzone: 's1' }, 1),
    rec(100, { zone: 'a', subzone: 's2' }, 2),
    rec(200, 'fail'),
    rec(300, 'fail'),
    rec(400, 'fail'),
    rec(500, { zone: 'b' }, 3),
    rec(600, { zone: 'x', region: 'r2' }, 4),
    rec(700, 'fail'),
  ];
  const m = phaseMetrics(records, { start: 0, end: 1000 }, client, [{ from: 'r1', to: 'r2' }]);

  it('counts requests, failures and the error rate', () => {
    expect([m.requests, m.succeeded, m.failed, m.errorRate]).toEqual([8, 4, 4, 0.5]);
    expect(m.errors).toEqual({ 'http-status': 4 });
  });

  it('finds the longest run of failures and how long it blacked out', () => {
    expect(m.longestFailureRun).toBe(3);
    // 200 → next success at 500; the trailing failure at 700 runs to the phase end (1000): 300 ms too.
    expect(m.blackoutMs).toBe(300);
  });

  it('nests locality shares relative to the client', () => {
    expect(m.locality).toEqual({ sameSubzone: 0.25, sameZone: 0.5, sameRegion: 0.75, otherRegion: 0.25 });
    expect(m.tiers).toEqual({ p0: 0.25, p1: 0.25, p2: 0.25, p3: 0.25, p4: 0 });
    expect(m.servedBy.region).toEqual({ r1: 0.75, r2: 0.25 });
    // Keys are qualified: a zone name may repeat across regions.
    expect(m.servedBy.zone).toEqual({ 'r1/a': 0.5, 'r1/b': 0.25, 'r2/x': 0.25 });
  });

  it('takes latency percentiles over successes only (nearest rank)', () => {
    expect(m.latencyMs).toEqual({ p50: 2, p90: 4, p99: 4, max: 4 });
  });

  it('reports zero shares and no latency for a phase without successes', () => {
    const empty = phaseMetrics([rec(0, 'fail')], { start: 0, end: 100 }, client, []);
    expect(empty.latencyMs).toBeNull();
    expect(empty.locality.sameZone).toBe(0);
    expect(empty.blackoutMs).toBe(100);
  });
});

describe('nearestRank', () => {
  it('follows the nearest-rank definition', () => {
    const sorted = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10];
    expect(nearestRank(sorted, 0.5)).toBe(5);
    expect(nearestRank(sorted, 0.9)).toBe(9);
    expect(nearestRank(sorted, 0.99)).toBe(10);
  });
});

describe('the longest blackout is one run of failures (envoy-divergence D1)', () => {
  it('its count and its duration come from the same run', async () => {
    const { longestFailureRun } = await import('../../harness/analysis/sequence.js');
    // Run 1: three failures in 300 ms. Run 2: two failures, but the second send came 2 s later.
    const items = [0, 100, 200].map((t) => ({ sentAt: t, ok: false })).concat([{ sentAt: 300, ok: true }, { sentAt: 1000, ok: false }, { sentAt: 1100, ok: false }, { sentAt: 3100, ok: true }]);
    expect(longestFailureRun(items, 4000)).toEqual({ count: 3, ms: 300 });
  });
});
