import { describe, expect, it } from 'vitest';
import { failbackTimeMs, recoveryTimeMs, timeToFailoverMs } from '../../harness/analysis/time-metrics.js';
import { rec, series } from '../helpers/records.js';

const W = { windowMs: 1000, threshold: 1 };
const home = { zone: 'a' };
const away = { zone: 'b' };
const client = { cluster: 'c1', region: 'r1', zone: 'a', subzone: '' };

describe('recoveryTimeMs', () => {
  it('is 0 when no request failed', () => {
    expect(recoveryTimeMs(series(0, 5000, 50, () => home), 0, W)).toBe(0);
  });

  it('is the send time of the first request after the last failure, from t_f', () => {
    // t_f = 100; failures sent 100..550; first success at 600.
    const records = series(0, 5000, 50, (t) => (t >= 100 && t < 600 ? 'fail' : away));
    expect(recoveryTimeMs(records, 100, W)).toBe(500);
  });

  it('is null when the fault phase ends failing', () => {
    expect(recoveryTimeMs(series(0, 3000, 50, (t) => (t >= 1000 ? 'fail' : home)), 0, W)).toBeNull();
  });

  it('counts flapping until the last failure', () => {
    const failing = new Set([200, 300, 900, 1500]);
    const records = series(0, 4000, 100, (t) => (failing.has(t) ? 'fail' : away));
    expect(recoveryTimeMs(records, 0, W)).toBe(1600);
  });

  it('lets a single late straggler push recovery out (strict threshold)', () => {
    const records = series(0, 8000, 100, (t) => (t < 300 || t === 6000 ? 'fail' : away));
    expect(recoveryTimeMs(records, 0, W)).toBe(6100);
  });

  it('with a 0.9 threshold, tolerates a straggler that keeps every window at or above 90%', () => {
    // 10 requests per window; one failure per window leaves 90%.
    const records = series(0, 8000, 100, (t) => (t < 300 || t === 6000 ? 'fail' : away));
    expect(recoveryTimeMs(records, 0, { windowMs: 1000, threshold: 0.9 })).toBe(200);
  });

  it('is never negative when failures ended before t_f', () => {
    const records = series(0, 3000, 100, (t) => (t < 200 ? 'fail' : away));
    expect(recoveryTimeMs(records, 500, W)).toBe(0);
  });

  it('handles an empty phase', () => {
    expect(recoveryTimeMs([], 0, W)).toBe(0);
  });
});

describe('timeToFailoverMs', () => {
  it('is the first success outside the preferred tier, from t_f', () => {
    const records = [rec(0, home), rec(50, 'fail'), rec(100, 'fail'), rec(150, away), rec(200, away)];
    expect(timeToFailoverMs(records, 40, client, 0, [])).toBe(110);
  });

  it('is null when traffic never left the preferred tier', () => {
    expect(timeToFailoverMs(series(0, 1000, 50, () => home), 0, client, 0, [])).toBeNull();
  });
});

describe('failbackTimeMs', () => {
  it('is the first request after the last one served elsewhere, from t_r', () => {
    const records = series(1000, 3000, 100, (t) => (t < 1800 ? away : home));
    expect(failbackTimeMs(records, 1000, client, 0, [])).toBe(800);
  });

  it('is 0 when the recovery phase is served at home throughout', () => {
    expect(failbackTimeMs(series(0, 1000, 100, () => home), 0, client, 0, [])).toBe(0);
  });

  it('is null when traffic never came back', () => {
    expect(failbackTimeMs(series(0, 1000, 100, () => away), 0, client, 0, [])).toBeNull();
  });
});
