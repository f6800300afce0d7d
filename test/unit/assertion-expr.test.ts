import { describe, expect, it } from 'vitest';
import { compare, parseAssertion } from '../../harness/core/assertion-expr.js';
import { evaluateAssertions } from '../../harness/analysis/assertions.js';
import { phaseMetrics } from '../../harness/analysis/phase-metrics.js';
import type { ClientResult } from '../../harness/core/journal.js';
import { rec } from '../helpers/records.js';

describe('parseAssertion', () => {
  it('reads client, metric, comparator and value with units', () => {
    const a = parseAssertion('client(zone-a).recovery.timeMs < 5s');
    expect(a).toMatchObject({ client: 'zone-a', metricPath: 'recovery.timeMs', op: '<', expected: 5000, kind: 'duration' });
    expect(parseAssertion('fault.errorRate <= 1%').expected).toBeCloseTo(0.01);
    expect(parseAssertion("fault.servedBy.region('cn-south-1') >= 0.99").metric).toEqual({ type: 'served-by', phase: 'fault', depth: 'region', name: 'cn-south-1' });
    expect(parseAssertion('baseline.latency.p99 < 250ms').expected).toBe(250);
    expect(parseAssertion('recovery.timeMs == null').expected).toBeNull();
  });

  it.each([
    ['recovery.timeMs < 5x', /unknown unit "x"/],
    ['fault.errorRate < 5s', /is a ratio/],
    ['recovery.timeMS < 5s', /unknown metric .*did you mean "recovery.timeMs"/],
    ['fault.errorrate < 1%', /did you mean "fault.errorRate"/],
    ['recovery.timeMs ~ 5', /cannot read assertion/],
    ['recovery.timeMs < fast', /not a number/],
    ['fault.servedBy.planet(x) > 0', /unknown metric/],
  ])('rejects %s', (text, message) => {
    expect(() => parseAssertion(text)).toThrow(message);
  });
});

describe('compare', () => {
  it('fails every ordering against null and treats == null exactly', () => {
    expect(compare(null, '<', 5000)).toBe(false);
    expect(compare(null, '==', null)).toBe(true);
    expect(compare(3, '!=', null)).toBe(true);
    expect(compare(0.1 + 0.2, '==', 0.3)).toBe(true);
  });
});

describe('evaluateAssertions', () => {
  const phase = phaseMetrics([rec(0, { zone: 'a' }), rec(100, 'fail')], { start: 0, end: 200 }, { cluster: 'c1', region: 'r1', zone: 'a', subzone: '' }, []);
  const client = (name: string, recoveryTimeMs: number | null): ClientResult => ({
    name,
    locality: { cluster: 'c1', region: 'r1', zone: 'a', subzone: '' },
    preferredTier: 0,
    resolutionMs: 50,
    phases: { baseline: phase, fault: phase, recovery: phase },
    recoveryTimeMs,
    timeToFailoverMs: null,
    failbackTimeMs: 0,
  });

  it('applies an unprefixed assertion to every client and a prefixed one to its client', () => {
    const results = evaluateAssertions([parseAssertion('recovery.timeMs < 1s'), parseAssertion('client(b).fault.errorRate == 50%')], [client('a', 200), client('b', null)]);
    expect(results.map((r) => [r.name, r.passed, r.actual])).toEqual([
      ['client(a).recovery.timeMs < 1s', true, 200],
      ['client(b).recovery.timeMs < 1s', false, null],
      ['client(b).fault.errorRate == 50%', true, 0.5],
    ]);
  });

  it('"never" within a window shorter than the budget is unverified, not a miss; within one as long, it is a miss', () => {
    // Fault 0–8 s, revert done at 8.1 s; the run ends 4 s after it: a failback budget of 10 s is not over yet.
    const windows = { baselineStart: -3000, faultStart: 0, injectedAt: 100, recoveryStart: 8000, revertedAt: 8100, end: 12_100 };
    const never = { ...client('a', 200), failbackTimeMs: null };
    const [short] = evaluateAssertions([parseAssertion('failback.timeMs < 10s')], [never], undefined, [], undefined, undefined, windows);
    expect(short!.passed).toBe(false);
    expect(short!.unverified).toBe('no failback in the 4 s from the revert until the run ended, shorter than its 10 s budget: its window ended before its budget did (lengthen --recovery to judge it)');
    const [long] = evaluateAssertions([parseAssertion('failback.timeMs < 3s')], [never], undefined, [], undefined, undefined, windows);
    expect(long).toMatchObject({ passed: false, actual: null });
    expect(long!.unverified).toBeUndefined();
    // Recovery counts from the injection: 12 s seen, a 20 s budget not over.
    const [recovery] = evaluateAssertions([parseAssertion('recovery.timeMs < 20s')], [client('a', null)], undefined, [], undefined, undefined, windows);
    expect(recovery!.unverified).toMatch(/^no recovery in the 12 s from the injection until the run ended.*--duration or --recovery/);
    // Nothing injected (the window is empty): not this reason's to say.
    expect(evaluateAssertions([parseAssertion('recovery.timeMs < 20s')], [client('a', null)], undefined, [], undefined, undefined, { ...windows, injectedAt: windows.end })[0]!.unverified).toBeUndefined();
    // A figure that was measured is judged as it is, and "> budget" never waits.
    expect(evaluateAssertions([parseAssertion('failback.timeMs < 10s')], [client('a', 200)], undefined, [], undefined, undefined, windows)[0]!.unverified).toBeUndefined();
    expect(evaluateAssertions([parseAssertion('failback.timeMs > 10s')], [never], undefined, [], undefined, undefined, windows)[0]!.unverified).toBeUndefined();
  });

  it('injection(N): the window ends where the next injection begins (as the per-injection figures are cut)', () => {
    const windows = { baselineStart: -3000, faultStart: 0, injectedAt: 100, recoveryStart: 3000, revertedAt: 3100, end: 20_000 };
    const fault = (start: number) => ({ kind: 'zone-outage', target: 'z', affected: [], injectStartedAtMs: start, injectedAtMs: start + 100, revertStartedAtMs: start + 3000, revertedAtMs: start + 3100 });
    // Reverted at 3.1 s, the next injection at 6 s: 2.9 s to see a failback kept within 4 s.
    const faults = [{ ...fault(0), impact: { a: { requests: 10, failed: 0, recoveryTimeMs: 100, timeToFailoverMs: null, failbackTimeMs: null } } }, fault(6000)] as unknown as Parameters<typeof evaluateAssertions>[3];
    const [r] = evaluateAssertions([parseAssertion('client(a).injection(0).failback.timeMs < 4s')], [client('a', 200)], undefined, faults, undefined, undefined, windows);
    expect(r!.unverified).toBe('no injection(0).failback in the 2.9 s from the revert until the next injection began, shorter than its 4 s budget: its window ended before its budget did (lengthen the timeline to judge it)');
    // A budget the window covered: "never" is a miss.
    const [miss] = evaluateAssertions([parseAssertion('client(a).injection(0).failback.timeMs < 2s')], [client('a', 200)], undefined, faults, undefined, undefined, windows);
    expect(miss).toMatchObject({ passed: false, actual: null });
    expect(miss!.unverified).toBeUndefined();
  });
});
