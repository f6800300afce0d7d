import { describe, expect, it } from 'vitest';
import { assertionsFor, notExpectedFor, parseExperiment } from '../../harness/core/experiment.js';
import { expandTimeline, timelineSteps } from '../../harness/core/timeline.js';
import { injectionImpact } from '../../harness/analysis/fault-impact.js';
import { predictCapacity, capacityResult } from '../../harness/analysis/capacity.js';
import { Limiter } from '../../harness/workloads/capacity.js';
import type { RequestRecord } from '../../harness/traffic/record.js';
import zoneOutage from '../../experiments/zone-outage.js';
import rolling from '../../experiments/rolling-zone-outage.js';
import flapping from '../../experiments/flapping-instance.js';
import headroom from '../../experiments/capacity-headroom.js';
import short from '../../experiments/capacity-headroom-short.js';

// Fault timelines (issue 12): expansion, step order, validation, per-injection
// windows, and the capacity prediction, on synthetic input.

const parse = (raw: unknown) => parseExperiment(raw, 'exp.yaml');

describe('timeline', () => {
  it('defaults keep the old meaning: injected at 0, held until the fault phase ends', () => {
    const ex = parse(zoneOutage);
    expect(expandTimeline(ex.faults, ex.phases.fault)).toEqual([{ fault: 0, repetition: 0, at: 0, until: 8000 }]);
  });

  it('expands repeats and orders steps: reverts before injects at one instant, reverts last-in first-out', () => {
    const ex = parse(flapping);
    expect(expandTimeline(ex.faults, ex.phases.fault).map((i) => [i.at, i.until])).toEqual([[1000, 2000], [5000, 6000], [9000, 10000]]);
    const two = expandTimeline([{ kind: 'kill-instance', target: { node: 'a' } }, { kind: 'kill-instance', target: { node: 'b' }, at: 1000, duration: 1000 }, { kind: 'kill-instance', target: { node: 'c' }, at: 2000 }] as never, 5000);
    expect(timelineSteps(two).map((s) => `${s.kind}${s.injection}@${s.at}`)).toEqual(['inject0@0', 'inject1@1000', 'revert1@2000', 'inject2@2000', 'revert2@5000', 'revert0@5000']);
  });

  it.each([
    [{ faults: [{ kind: 'zone-outage', zone: 'zone-a', at: '9s' }] }, /faults\[0\]\.at: it runs from 9s to 8s, past the end of the 8s fault phase/],
    [{ faults: [{ kind: 'zone-outage', zone: 'zone-a', at: '6s', duration: '3s' }] }, /faults\[0\]\.duration: it runs from 6s to 9s, past the end/],
    [{ faults: [{ kind: 'kill-instance', target: { node: 'svc-a' }, duration: '1s', repeat: { times: 5, every: '2s' } }] }, /faults\[0\]\.repeat: repeat 5 runs from 8s to 9s, past the end/],
    [{ faults: [{ kind: 'kill-instance', target: { node: 'svc-a' }, duration: '3s', repeat: { times: 2, every: '2s' } }] }, /faults\[0\]\.repeat\.every: each injection lasts 3s but they start every 2s: the repeats would overlap/],
    [{ faults: [{ kind: 'kill-instance', target: { node: 'svc-a' }, repeat: { times: 2, every: '2s' } }] }, /faults\[0\]\.duration: a repeated fault needs a `duration`/],
    [{ faults: [{ kind: 'zone-outage', zone: 'zone-a', duration: '4s' }, { kind: 'kill-instance', target: { node: 'svc-a' }, at: '2s', duration: '1s' }] }, /faults\[1\]\.at: overlaps faults\[0\] on svc-a-1, svc-a-2 from 2s to 3s/],
  ])('refuses %j', (change, message) => {
    expect(() => parse({ ...zoneOutage, ...change })).toThrow(message);
  });

  it('overlapping faults on different targets are fine (a spreading outage)', () => {
    expect(() => parse({ ...rolling, faults: [{ kind: 'zone-outage', zone: 'zone-a', duration: '6s' }, { kind: 'zone-outage', zone: 'zone-b', at: '2s', duration: '3s' }] })).not.toThrow();
  });

  it('injection(N) must exist', () => {
    expect(() => parse({ ...rolling, assertions: ['client(client-a).injection(2).failed == 0'] })).toThrow(/injection\(2\) does not exist: the timeline has 2 injections/);
  });
});

const rec = (sentAt: number, over: Partial<RequestRecord> = {}): RequestRecord => ({ client: 'c', sentAt, latencyMs: 2, status: 200, error: null, instance: 'a-1', cluster: 'c1', region: 'r', zone: 'a', subzone: '', ...over });

describe('per-injection windows', () => {
  const here = { cluster: 'c1', region: 'r', zone: 'a', subzone: '' };
  // Every 100 ms; failures 1000–1200, served by zone b 1300–1900 (the injection), then home.
  const records = Array.from({ length: 40 }, (_, i) => i * 100).map((t) =>
    t >= 1000 && t <= 1200 ? rec(t, { error: 'timeout', status: 0, instance: null }) : t >= 1300 && t < 2000 ? rec(t, { zone: 'b', instance: 'b-1' }) : rec(t),
  );
  it('counts failures while it is in, recovery from its t_f, failover in it, failback after its revert, all inside its window', () => {
    const impact = injectionImpact(records, { locality: here }, 0 as never, [], { injectStart: 1000, injectedAt: 1000, revertStart: 2000, revertedAt: 2000, windowEnd: 3000 }, { windowMs: 300, threshold: 1 });
    expect(impact).toMatchObject({ requests: 10, failed: 3, recoveryTimeMs: 300, timeToFailoverMs: 300, failbackTimeMs: 0 });
    // Where this window was served and what it cost, from this window's records only (#25).
    expect(impact.servedBy?.zone).toEqual({ 'r/b': 1 });
    expect(impact.blackoutMs).toBe(300);
    expect(impact.after).toEqual({ requests: 10, failed: 0 });
  });
  it('a request in flight when the next injection began, and failed, is not this window\'s', () => {
    // Sent at 2950 just before the next injection (3000) and failed by it at 3010.
    const edge = [...records.filter((r) => r.sentAt < 2950), rec(2950, { error: 'connection-reset', status: 0, instance: null, latencyMs: 60 })];
    const w = { injectStart: 1000, injectedAt: 1000, revertStart: 2000, revertedAt: 2000, windowEnd: 3000 };
    expect(injectionImpact(edge, { locality: here }, 0 as never, [], { ...w, nextInjection: 3000 }, { windowMs: 300, threshold: 1 }).recoveryTimeMs).toBe(300);
    expect(injectionImpact(edge, { locality: here }, 0 as never, [], w, { windowMs: 300, threshold: 1 }).recoveryTimeMs).toBeNull();
  });

  it('a window that ends before the client is home has no failback', () => {
    const late = records.map((r) => (r.sentAt >= 2000 && r.sentAt < 2500 ? { ...r, zone: 'b' } : r));
    const impact = injectionImpact(late, { locality: here }, 0 as never, [], { injectStart: 1000, injectedAt: 1000, revertStart: 2000, revertedAt: 2000, windowEnd: 2400 }, { windowMs: 300, threshold: 1 });
    expect(impact.failbackTimeMs).toBeNull();
  });
});

describe('review fixes', () => {
  const fault = (over: Record<string, unknown>) => ({ kind: 'zone-outage', target: 't', affected: [], injectStartedAtMs: 0, injectedAtMs: 0, revertStartedAtMs: 5000, revertedAtMs: 5000, plannedAtMs: 0, ...over }) as never;

  it('faults planned for one instant share their window (the second inject does not cut the first\'s)', async () => {
    const { faultImpacts } = await import('../../harness/analysis/fault-impact.js');
    const ex = parse(headroom);
    const records = Array.from({ length: 80 }, (_, i) => rec(i * 100, { client: 'client-a', zone: 'zone-a', region: 'eu-west-1', instance: 'svc-b-1' }));
    const a = fault({ injectStartedAtMs: 1000, injectedAtMs: 1010, affected: ['svc-a-1'] });
    const b = fault({ injectStartedAtMs: 1010, injectedAtMs: 1020, affected: ['svc-a-2'] });
    const impacts = faultImpacts(ex, records, [a, b], 8000, { windowMs: 300, threshold: 1 });
    expect(impacts.get(a)!['client-a']!.requests).toBe(40);
    expect(impacts.get(a)!['client-a']!.failbackTimeMs).toBe(0);
  });

  it('no failback from an empty window; the run ejection is the slowest injection\'s', async () => {
    const { injectionImpact, runEjectionTimeMs } = await import('../../harness/analysis/fault-impact.js');
    const here = { cluster: 'c1', region: 'r', zone: 'a', subzone: '' };
    const impact = injectionImpact([rec(100), rec(200)], { locality: here }, 0 as never, [], { injectStart: 0, injectedAt: 0, revertStart: 5000, revertedAt: 5000, windowEnd: 5000 }, { windowMs: 300, threshold: 1 });
    expect(impact.failbackTimeMs).toBeNull();
    const with_ = (e: number | null | undefined) => ({ requests: 0, failed: 0, recoveryTimeMs: 0, timeToFailoverMs: null, failbackTimeMs: null, ...(e !== undefined ? { ejectionTimeMs: e } : {}) });
    expect(runEjectionTimeMs([with_(100), with_(300), with_(undefined)])).toBe(300);
    expect(runEjectionTimeMs([with_(100), with_(null)])).toBeNull();
    expect(runEjectionTimeMs([with_(undefined), undefined])).toBeUndefined();
  });

  it('a partition whose two names resolve to one zone is refused', () => {
    expect(() => parse({ ...rolling, faults: [{ kind: 'partition', between: ['zone-a', 'eu-west-1/zone-a'] }] })).toThrow(/faults\[0\]\.between: both sides name eu-west-1\/zone-a/);
  });

  it('a qualified --assert replaces the bare one it means', async () => {
    const { applyOverrides } = await import('../../harness/cli/overrides.js');
    const ex = applyOverrides(parse(zoneOutage), { assert: ['client(client-a).fault.servedBy.zone(eu-west-1/zone-b) >= 40%'] } as never);
    const zoneB = ex.assertions.filter((a) => a.metric.type === 'served-by' && a.metric.name === 'eu-west-1/zone-b');
    expect(zoneB.map((a) => a.source)).toEqual(['client(client-a).fault.servedBy.zone(eu-west-1/zone-b) >= 40%']);
    // Recorded with what it replaced (#25).
    expect(zoneB[0]!.override).toEqual({ replaces: expect.stringMatching(/^client\(client-a\)\.fault\.servedBy\.zone\(zone-b\)/) });
    expect(ex.overrides?.[0]).toMatchObject({ option: '--assert', value: 'client(client-a).fault.servedBy.zone(eu-west-1/zone-b) >= 40%' });
  });

  it('command-line changes are recorded only when they change something (#25)', async () => {
    const { applyOverrides } = await import('../../harness/cli/overrides.js');
    expect(applyOverrides(parse(zoneOutage), { mode: 'kill', duration: '8s', rate: '20' } as never).overrides).toBeUndefined();
    expect(applyOverrides(parse(zoneOutage), { mode: 'freeze', duration: '10s' } as never).overrides).toEqual([
      { option: '--duration', value: '10s', replaces: '8000ms' },
      { option: '--mode', value: 'freeze', replaces: 'kill' },
    ]);
  });

  it('a Ctrl-C stops waiting for reverts that are still coming back', async () => {
    const { FaultsInFlight } = await import('../../harness/runner/faults-in-flight.js');
    const controller = new AbortController();
    const clock = { now: () => Date.now(), sleep: async () => undefined };
    const provider = { inject: async () => ({ target: 't', affected: [], revert: async () => undefined, awaitRecovered: () => new Promise<void>(() => undefined) }) } as never;
    const f = new FaultsInFlight(provider, clock, controller.signal, () => undefined, () => undefined);
    await f.inject(0, { fault: 0, repetition: 0, at: 0, until: 1 }, { kind: 'kill-instance', target: { node: 'x' } } as never, 0);
    await f.revert(0);
    setTimeout(() => controller.abort(), 20);
    await f.settled();
    expect(controller.signal.aborted).toBe(true);
  });
});

describe('capacity', () => {
  it('predicts 1.5× with three zones absorbs one lost, and 1.2× does not', () => {
    expect(predictCapacity(parse(headroom))).toMatchObject({ loadRps: 60, capacityRps: 90, baselineHeadroom: 1.5, worstHeadroom: 1, predictedOverload: false, lost: ['svc-a-1', 'svc-a-2'] });
    expect(predictCapacity(parse(short))).toMatchObject({ capacityRps: 72, worstHeadroom: 0.8, predictedOverload: true });
    expect(predictCapacity(parse(zoneOutage))).toBeNull();
  });

  it('the prediction holds when an overload was predicted exactly when requests were shed', () => {
    const p = predictCapacity(parse(short))!;
    const load = (shed: number) => [{ instance: 'svc-b-1', capacityRps: 12, served: 100, shed, maxQueueMs: 0 }];
    expect(capacityResult(p, load(5))).toMatchObject({ shed: 5, agrees: true });
    expect(capacityResult(p, load(0))).toMatchObject({ shed: 0, agrees: false });
  });

  it('the limiter serves a steady load at its capacity, sheds above it, and queues in order', () => {
    const shed = new Limiter(10, 0);
    let served = 0;
    for (let t = 0; t < 10_000; t += 100) if (shed.take(t)) served++;
    expect(served).toBe(100);
    const over = new Limiter(10, 0);
    let ok = 0;
    for (let t = 0; t < 10_000; t += 50) if (over.take(t)) ok++;
    // 20 req/s at 10 req/s: half a second of burst, then 10 a second.
    expect(ok).toBeGreaterThanOrEqual(100);
    expect(ok).toBeLessThanOrEqual(106);
    const queue = new Limiter(10, 0);
    const waits = Array.from({ length: 12 }, () => queue.slot(0));
    expect(waits.slice(0, 6)).toEqual([0, 0, 0, 0, 0, 0]);
    expect(waits[6]).toBeCloseTo(100, 6);
    expect(waits[11]).toBeCloseTo(600, 6);
  });
});

describe('rolling-zone-outage on kind', () => {
  it('is not held to coming home within 3 s of a node restart (kind-live-review #5), nor, without outlier detection, to failing over within its outage', () => {
    const ex = parse(rolling);
    const metrics = (mesh: string) => notExpectedFor(ex, 'kind', mesh).map((n) => n.metric);
    expect(metrics('istio')).toEqual(['client(client-a).injection(0).failback.timeMs', 'client(client-b).injection(1).failback.timeMs']);
    for (const mesh of ['linkerd', 'none']) expect(metrics(mesh)).toEqual(expect.arrayContaining(['client(client-a).injection(0).recovery.timeMs', 'client(client-a).injection(1).failed']));
    expect(assertionsFor(ex, 'kind', 'istio').map((a) => a.source)).toContain('client(client-a).injection(0).recovery.timeMs < 2s');
    // Locally every assertion stands.
    expect(assertionsFor(ex, 'local').length).toBe(7);
    expect(notExpectedFor(ex, 'local')).toEqual([]);
  });
});
