import { describe, expect, it } from 'vitest';
import { parseAssertion } from '../../harness/core/assertion-expr.js';
import { parseExperiment, resolveAssertion, type ExperimentInput } from '../../harness/core/experiment.js';
import { resolveLocality } from '../../harness/core/resolve-names.js';
import { analyseClient } from '../../harness/analysis/analyse-client.js';
import { ejectionTimeMs, largestSendGapMs } from '../../harness/analysis/time-metrics.js';
import { failoverPolicySchema } from '../../harness/core/policy.js';
import { grayCall } from '../../harness/workloads/gray.js';
import type { RequestRecord } from '../../harness/traffic/record.js';
import grayInstance from '../../experiments/gray-instance.js';
import slowZone from '../../experiments/slow-zone.js';

// Gray faults, the ejection time, and exact names (issue 11), on synthetic input.

/** Two regions that both have a zone "zone-a", and subzones "s1" in two zones. */
const twoRegions: ExperimentInput = {
  name: 'x',
  description: 'd',
  topology: {
    clusters: [
      {
        name: 'c1',
        regions: [
          { name: 'r1', zones: [{ name: 'zone-a', subzones: [{ name: 's1', nodes: [{ name: 'n1', instances: 1, client: true }] }] }, { name: 'zone-b', subzones: [{ name: 's1', nodes: [{ name: 'n2', instances: 1 }] }] }] },
          { name: 'r2', zones: [{ name: 'zone-a', nodes: [{ name: 'n3', instances: 1, client: true }] }] },
        ],
      },
    ],
  },
  faults: [{ kind: 'kill-instance', target: { node: 'n3' } }],
};
const t = parseExperiment(twoRegions, 'x.yaml').topology;

describe('locality names', () => {
  it('resolves qualified names, and bare ones that are unambiguous', () => {
    expect(resolveLocality(t, 'zone', 'r2/zone-a')).toEqual({ ok: true, key: 'r2/zone-a' });
    expect(resolveLocality(t, 'zone', 'zone-b')).toEqual({ ok: true, key: 'r1/zone-b' });
    expect(resolveLocality(t, 'subzone', 'zone-b/s1')).toEqual({ ok: true, key: 'r1/zone-b/s1' });
    expect(resolveLocality(t, 'zone', 'zone-a', { region: 'r1' })).toEqual({ ok: true, key: 'r1/zone-a' });
  });

  it('a bare name several regions share is ambiguous, naming the candidates; an unknown one guesses', () => {
    expect(resolveLocality(t, 'zone', 'zone-a')).toEqual({ ok: false, message: 'zone "zone-a" is ambiguous: it names r1/zone-a, r2/zone-a; qualify it, e.g. "r1/zone-a"' });
    expect(resolveLocality(t, 'subzone', 's1')).toMatchObject({ ok: false, message: expect.stringContaining('names r1/zone-a/s1, r1/zone-b/s1') });
    expect(resolveLocality(t, 'zone', 'zone-c')).toMatchObject({ ok: false, message: expect.stringMatching(/^unknown zone "zone-c" \(did you mean "zone-a"\?\)/) });
  });

  it('assertions resolve to the report\'s qualified keys, and refuse ambiguous or unknown names', () => {
    expect(resolveAssertion(parseAssertion('fault.servedBy.zone(zone-b) >= 50%'), t).metric).toEqual({ type: 'served-by', phase: 'fault', depth: 'zone', name: 'r1/zone-b' });
    expect(() => resolveAssertion(parseAssertion('fault.servedBy.zone(zone-a) >= 50%'), t)).toThrow(/ambiguous: it names r1\/zone-a, r2\/zone-a/);
    expect(() => resolveAssertion(parseAssertion('fault.servedBy.region(r3) >= 50%'), t)).toThrow(/unknown region "r3"/);
    expect(() => resolveAssertion(parseAssertion('fault.servedBy.instance(n9-1) >= 50%'), t)).toThrow(/unknown instance "n9-1"/);
    expect(() => resolveAssertion(parseAssertion('client(n4).fault.errorRate == 0'), t)).toThrow(/unknown client "n4" \(did you mean "n1"\?\)/);
  });

  it('fault selectors take qualified names and refuse ambiguous ones with the field path', () => {
    const ex = parseExperiment({ ...twoRegions, faults: [{ kind: 'zone-outage', zone: 'r2/zone-a' }, { kind: 'kill-instance', target: { subzone: 'zone-b/s1' } }] }, 'x.yaml');
    expect(ex.faults[0]).toMatchObject({ region: 'r2', zone: 'zone-a' });
    expect(ex.faults[1]).toMatchObject({ target: { region: 'r1', zone: 'zone-b', subzone: 's1' } });
    expect(() => parseExperiment({ ...twoRegions, faults: [{ kind: 'zone-outage', zone: 'zone-a' }] }, 'x.yaml')).toThrow('x.yaml: faults[0].zone: zone "zone-a" is ambiguous: it names r1/zone-a, r2/zone-a');
    expect(() => parseExperiment({ ...twoRegions, faults: [{ kind: 'http-error', target: { instance: 'n1-2' } }] }, 'x.yaml')).toThrow(/faults\[0\]\.target\.instance: unknown instance "n1-2" \(did you mean "n1-1"\?\)/);
    expect(() => parseExperiment({ ...twoRegions, faults: [{ kind: 'partition', between: ['zone-a', 'zone-b'] }] }, 'x.yaml')).toThrow(/faults\[0\]\.between\[0\]: zone "zone-a" is ambiguous/);
    expect(parseExperiment({ ...twoRegions, faults: [{ kind: 'partition', between: ['r1/zone-a', 'zone-b'] }] }, 'x.yaml').faults[0]).toMatchObject({ between: ['r1/zone-a', 'r1/zone-b'] });
  });

  it('two zones of one name in one region are refused, not merged', () => {
    const dup = structuredClone(twoRegions) as { topology: { clusters: { regions: { zones: { name: string }[] }[] }[] } };
    dup.topology.clusters[0]!.regions[0]!.zones[1]!.name = 'zone-a';
    expect(() => parseExperiment(dup, 'x.yaml')).toThrow(/topology\.clusters\[0\]\.regions\[0\]\.zones\[1\]\.name: zone "zone-a" appears twice in region r1/);
  });

  it('shares above 100% are flagged', () => {
    expect(() => parseAssertion('fault.locality.sameZone >= 120%')).toThrow(/above 100%/);
    expect(() => parseAssertion('fault.errorRate < 5')).toThrow(/above 1/);
  });
});

describe('gray fault specs', () => {
  const gray = (fault: Record<string, unknown>) => parseExperiment({ ...grayInstance, faults: [fault] }, 'g.yaml').faults[0];

  it('http-error defaults to 503 for every request; ratio takes "50%" or 0.5', () => {
    expect(gray({ kind: 'http-error', target: { instance: 'svc-a-1' } })).toMatchObject({ status: 503, ratio: 1 });
    expect(gray({ kind: 'http-error', target: { instance: 'svc-a-1' }, ratio: '50%' })).toMatchObject({ ratio: 0.5 });
    expect(gray({ kind: 'http-error', target: { instance: 'svc-a-1' }, ratio: 0.25 })).toMatchObject({ ratio: 0.25 });
    expect(grayCall(gray({ kind: 'http-error', target: { instance: 'svc-a-1' }, status: 500, ratio: '50%' }) as never)).toEqual({ action: 'fail', query: 'status=500&ratio=0.5' });
    expect(grayCall(gray({ kind: 'latency', target: { zone: 'zone-a' }, delay: '900ms', jitter: '100ms' }) as never)).toEqual({ action: 'slow', query: 'delayMs=900&jitterMs=100' });
  });

  it.each([
    [{ kind: 'http-error', target: { instance: 'svc-a-1' }, status: 200 }, /faults\[0\]\.status: expected an HTTP error status from 400 to 599/],
    [{ kind: 'http-error', target: { instance: 'svc-a-1' }, status: 'bad' }, /faults\[0\]\.status: expected an HTTP error status/],
    [{ kind: 'http-error', target: { instance: 'svc-a-1' }, ratio: '150%' }, /faults\[0\]\.ratio: expected a share from 0% to 100%/],
    [{ kind: 'http-error', target: { instance: 'svc-a-1' }, ratio: 50 }, /faults\[0\]\.ratio: expected a share/],
    [{ kind: 'latency', target: { zone: 'zone-a' }, delay: '-5ms' }, /faults\[0\]\.delay: expected a duration/],
    [{ kind: 'latency', target: { zone: 'zone-a' }, delay: '100ms', jitter: '200ms' }, /faults\[0\]\.jitter: jitter must not exceed delay/],
    [{ kind: 'latency', target: { zone: 'zone-a' } }, /faults\[0\]\.delay/],
  ])('refuses %j', (fault, message) => {
    expect(() => parseExperiment({ ...grayInstance, faults: [fault] }, 'g.yaml')).toThrow(message);
  });

  it('the shipped gray experiments parse', () => {
    expect(parseExperiment(slowZone, 'slow-zone').faults[0]).toMatchObject({ kind: 'latency', delay: 900, jitter: 100, target: { region: 'eu-west-1', zone: 'zone-a' } } as never);
  });
});

const rec = (sentAt: number, over: Partial<RequestRecord> = {}): RequestRecord => ({
  client: 'c', sentAt, latencyMs: 2, status: 200, error: null, instance: 'a-2', cluster: 'c1', region: 'r', zone: 'a', subzone: '', ...over,
});

describe('ejection time', () => {
  const bad = (sentAt: number) => rec(sentAt, { status: 503, error: 'http-status', instance: 'a-1' });
  it('from t_f to the last request a faulted instance answered, with any status', () => {
    const stream = [rec(900, { instance: 'a-1' }), rec(1000), bad(1100), rec(1200), bad(1350), rec(1400), rec(5000)];
    expect(ejectionTimeMs(stream, 1000, 6000, new Set(['a-1']), 1000)).toBe(350);
  });
  it('counts what the instance received but could not answer in time (a slow instance the sidecar timed out)', () => {
    const timedOut = [rec(1000, { status: 504, error: 'http-status', instance: null }), rec(1600, { status: 504, error: 'http-status', instance: null }), rec(2000)];
    expect(ejectionTimeMs(timedOut, 1000, 6000, new Set(['a-1']), 1000)).toBe(0);
    expect(ejectionTimeMs(timedOut, 1000, 6000, new Set(['a-1']), 1000, 1602)).toBe(602);
    expect(ejectionTimeMs(timedOut, 1000, 6000, new Set(['a-1']), 1000, 5600)).toBeNull();
  });

  it('0 when no faulted instance answered after t_f; null when none was faulted or it answered to the end', () => {
    expect(ejectionTimeMs([rec(1000), rec(2000)], 1000, 6000, new Set(['a-1']), 1000)).toBe(0);
    expect(ejectionTimeMs([bad(1100)], 1000, 6000, new Set(), 1000)).toBeNull();
    expect(ejectionTimeMs([bad(1100), bad(5500)], 1000, 6000, new Set(['a-1']), 1000)).toBeNull();
  });
});

describe('what the records say, and only that', () => {
  const windows = { baselineStart: 0, faultStart: 1000, injectedAt: 1000, recoveryStart: 2000, revertedAt: 2000, end: 4000 };
  const base = { name: 'c', locality: { cluster: 'c1', region: 'r', zone: 'a', subzone: '' }, endpointLocalities: [{ cluster: 'c1', region: 'r', zone: 'a', subzone: '' }], failover: [], ratePerSecond: 10, windows, recovery: { windowMs: 300, threshold: 1 } };

  it('a fault shorter than detection still gets a recovery time from requests after the revert', () => {
    // Failures from 1.5 s to 2.4 s: the fault phase ends at 2 s in a bad window.
    const records = Array.from({ length: 40 }, (_, i) => rec(i * 100, i >= 15 && i < 24 ? { error: 'timeout', status: 0, instance: null } : {}));
    const r = analyseClient({ ...base, records });
    expect(r.recoveryTimeMs).toBe(2400 - 1000);
  });

  it('requests the driver did not send are counted apart, not as the service\'s failures', () => {
    const records = Array.from({ length: 40 }, (_, i) => rec(i * 100, i === 12 || i === 13 ? { error: 'driver-overload', status: 0, instance: null } : {}));
    const r = analyseClient({ ...base, records });
    expect([r.phases.fault.requests, r.phases.fault.failed, r.phases.fault.notSent, r.recoveryTimeMs]).toEqual([8, 0, 2, 0]);
  });

  it('the stated resolution is the largest gap between sends, not 1/rate', () => {
    const records = [0, 100, 200, 450, 550].map((t) => rec(t));
    expect(largestSendGapMs(records, 100)).toBe(250);
    expect(analyseClient({ ...base, records }).resolutionMs).toBe(250);
  });
});
