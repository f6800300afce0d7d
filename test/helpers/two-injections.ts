import { evaluateAssertions } from '../../harness/analysis/assertions.js';
import { faultImpacts, runEjectionTimeMs } from '../../harness/analysis/fault-impact.js';
import { parseExperiment } from '../../harness/core/experiment.js';
import type { FaultRecord, Journal } from '../../harness/core/journal.js';
import { analyseRun } from '../../harness/runner/analyse-run.js';
import type { RequestRecord } from '../../harness/traffic/record.js';
import rollingZoneOutage from '../../experiments/rolling-zone-outage.js';

// A synthetic two-injection run, put through the real analysis: rolling-zone-outage's
// topology and assertions, records every 50 ms per client. zone-a is out 3000–6000
// (client-a fails 200 ms, then zone-c serves it, home 500 ms after the revert);
// zone-b is out 9000–12000 (client-b fails 150 ms, zone-c, home 300 ms after).
// Measured from the first injection, client-b's recovery would read 6150 ms.

const WINDOWS = { baselineStart: 0, faultStart: 3000, injectedAt: 3000, recoveryStart: 13000, revertedAt: 13000, end: 17000 };

function served(client: string, t: number, zone: string | null): RequestRecord {
  return zone === null
    ? { client, sentAt: t, latencyMs: 500, status: 0, error: 'timeout', instance: null, cluster: null, region: null, zone: null, subzone: null }
    : { client, sentAt: t, latencyMs: 2, status: 200, error: null, instance: `svc-${zone.slice(-1)}-1`, cluster: 'c1', region: 'eu-west-1', zone, subzone: '' };
}

export function twoInjectionRecords(): RequestRecord[] {
  const out: RequestRecord[] = [];
  for (let t = 0; t < WINDOWS.end; t += 50) {
    out.push(served('client-a', t, t >= 3000 && t < 3200 ? null : t >= 3200 && t < 6500 ? 'zone-c' : 'zone-a'));
    out.push(served('client-b', t, t >= 9000 && t < 9150 ? null : t >= 9150 && t < 12300 ? 'zone-c' : 'zone-b'));
    out.push(served('client-c', t, 'zone-c'));
  }
  return out;
}

export function twoInjectionJournal(): Journal {
  const ex = parseExperiment(rollingZoneOutage, 'rolling-zone-outage');
  const records = twoInjectionRecords();
  const recovery = { windowMs: 100, threshold: 1 };
  const fault = (zone: string, at: number, until: number, index: number): FaultRecord => ({
    kind: 'zone-outage', target: `zone=${zone}`, mode: 'kill', affected: [`svc-${zone.slice(-1)}`], fault: index, repetition: 0,
    plannedAtMs: at, plannedUntilMs: until, injectStartedAtMs: at, injectedAtMs: at, revertStartedAtMs: until, revertedAtMs: until,
  });
  const faults = [fault('zone-a', 3000, 6000, 0), fault('zone-b', 9000, 12000, 1)];
  const clients = analyseRun(ex, records, WINDOWS, recovery);
  for (const [record, impact] of faultImpacts(ex, records, faults, WINDOWS.end, recovery)) record.impact = impact;
  for (const c of clients) c.ejectionTimeMs = runEjectionTimeMs(faults.map((f) => f.impact?.[c.name]));
  const assertions = evaluateAssertions(ex.assertions, clients, undefined, faults);
  const failed = assertions.filter((a) => !a.passed).length;
  return {
    schemaVersion: 1, runId: 'two', experiment: ex.name, description: ex.description, provider: 'local', isolation: 'netns',
    status: failed ? 'failed' : 'passed', startedAt: new Date(0).toISOString(), finishedAt: new Date(WINDOWS.end).toISOString(),
    settings: { ratePerClient: 20, requestTimeoutMs: 2000, phasesMs: ex.phases, recoveryWindowMs: recovery.windowMs, recoveryThreshold: recovery.threshold, overrides: [] },
    policy: ex.policy, topology: { nodes: ex.topology.nodes.map((n) => ({ name: n.name, locality: n.locality, instances: [...n.instances], client: n.client })) },
    timeline: [], faults, clients, assertions,
    metrics: { requests: records.length, failed: records.filter((r) => r.error).length, worstRecoveryTimeMs: Math.max(...clients.map((c) => c.recoveryTimeMs ?? 0)), assertionsPassed: assertions.length - failed, assertionsFailed: failed },
    environment: {}, records: { files: [], count: records.length },
  };
}
