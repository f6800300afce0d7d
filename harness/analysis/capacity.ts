import { faultSelector, type FaultSpec } from '../core/fault-spec.js';
import { matchesSelector, type Experiment } from '../core/experiment.js';
import type { CapacityPrediction, CapacityResult, InstanceLoad } from '../core/journal.js';
import { expandTimeline } from '../core/timeline.js';
import type { RequestRecord } from '../traffic/record.js';

// Capacity: before the run, whether the instances that survive the worst
// moment of the timeline can serve the whole client load (the aggregate
// check: Σ capacity of survivors ≥ Σ client rates; with three equal sites one
// lost needs 1.5×, with five 1.25×, two of five lost 1.67×); after it, what
// each instance served and shed, and whether the prediction held. Pure.

/** Instances a fault takes out of service (partitions and etcd members take none). */
function lostTo(ex: Experiment, f: FaultSpec): string[] {
  if (f.kind === 'partition' || f.kind === 'etcd-member-loss') return [];
  const s = faultSelector(f);
  return ex.topology.instances.filter((i) => matchesSelector(i, s)).map((i) => i.name);
}

/** Null when some instance has no declared capacity (unlimited: nothing to predict). */
export function predictCapacity(ex: Experiment): CapacityPrediction | null {
  const all = ex.topology.instances;
  if (all.length === 0 || all.some((i) => !i.capacity)) return null;
  const loadRps = ex.traffic.rate * ex.topology.clients.length;
  const cap = (names: Set<string>) => all.filter((i) => !names.has(i.name)).reduce((n, i) => n + i.capacity!.rps, 0);
  const capacityRps = cap(new Set());
  const injections = expandTimeline(ex.faults, ex.phases.fault);
  let worst = { headroom: capacityRps / loadRps, lost: [] as string[] };
  for (const inj of injections) {
    const active = injections.filter((o) => o.at <= inj.at && inj.at < o.until);
    const lost = new Set(active.flatMap((o) => lostTo(ex, ex.faults[o.fault]!)));
    const headroom = cap(lost) / loadRps;
    if (headroom < worst.headroom) worst = { headroom, lost: [...lost] };
  }
  return { loadRps, capacityRps, baselineHeadroom: capacityRps / loadRps, worstHeadroom: worst.headroom, lost: worst.lost, predictedOverload: worst.headroom < 1 };
}

/** The prediction with what the instances reported; `agrees` when an overload was predicted exactly when one was shed. */
export function capacityResult(prediction: CapacityPrediction, instances: readonly InstanceLoad[]): CapacityResult {
  const shed = instances.reduce((n, i) => n + i.shed, 0);
  return { ...prediction, instances: [...instances], shed, agrees: prediction.predictedOverload === shed > 0 };
}

/**
 * Who failed the requests sent over the fault and recovery phases: an
 * instance that answered with an error (shedding, or a gray failure), or the
 * data plane without any instance answering (a sidecar's own 503 "no healthy
 * upstream", or no answer at all). `shed` counts what the instances report;
 * this counts what the clients saw, so the two are shown apart.
 */
export function failuresByWho(records: readonly RequestRecord[], from: number, to: number): { failedByInstances: number; refusedBySidecar: number; failedUnanswered: number } {
  let failedByInstances = 0;
  let refusedBySidecar = 0;
  let failedUnanswered = 0;
  for (const r of records) {
    if (r.error === null || r.error === 'driver-overload' || r.sentAt < from || r.sentAt >= to) continue;
    if (r.instance !== null) failedByInstances++;
    else if (r.status >= 500) refusedBySidecar++;
    else failedUnanswered++;
  }
  return { failedByInstances, refusedBySidecar, failedUnanswered };
}
