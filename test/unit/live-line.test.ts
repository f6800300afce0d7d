import { describe, expect, it } from 'vitest';
import { liveLines, sendRate } from '../../harness/report/live-line.js';
import { rec } from '../helpers/records.js';

describe('the live console rate (reviewer-ux-review-2 D7)', () => {
  it('is counted over the time the sends cover, not the print interval', () => {
    // Traffic began 2 s into a 3 s print interval: 20 sends in its last second are 20 req/s, not 6.7.
    const records = Array.from({ length: 20 }, (_, i) => rec(2000 + i * 50, { zone: 'a' }));
    expect(sendRate(records, 3000)).toBeCloseTo(20, 5);
    expect(liveLines(records, ['c'], 3000)[0]).toMatch(/^c\s+20 req\/s/);
  });
  it('falls back to the interval with fewer than two sends', () => {
    expect(sendRate([rec(0, { zone: 'a' })], 1000)).toBe(1);
    expect(sendRate([], 1000)).toBe(0);
  });
});
