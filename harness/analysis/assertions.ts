import { compare, isRunLevel, type AssertionExpr, type Comparator, type MetricRef } from '../core/assertion-expr.js';
import { nextInjectionStart } from './fault-impact.js';
import type { PhaseWindows } from './phase-windows.js';
import type { AssertionResult, CapacityResult, ClientResult, ControlPlaneResult, DataPlaneAccount, FaultRecord } from '../core/journal.js';

/** A run-level metric; null when the run has no control plane (or capacity) or the figure is undefined. */
export function runMetricValue(cp: ControlPlaneResult | undefined, metric: MetricRef, capacity?: CapacityResult): number | null {
  if (metric.type === 'capacity') {
    if (!capacity) return null;
    if (metric.name === 'predictedOverload') return capacity.predictedOverload ? 1 : 0;
    if (metric.name === 'predictionHeld') return capacity.agrees ? 1 : 0;
    return capacity[metric.name];
  }
  if (!cp) return null;
  switch (metric.type) {
    case 'control-plane':
      if (metric.name === 'readOnly') return cp.readOnly ? 1 : 0;
      if (metric.name === 'predictedQuorumLoss') return cp.placement.predictsQuorumLoss ? 1 : 0;
      return cp[metric.name];
    case 'control-plane-phase': {
      const p = cp.phases[metric.phase];
      return metric.name === 'writeAvailability' ? p.writes.availability : metric.name === 'linearizableReadAvailability' ? p.linearizableReads.availability : p.serializableReads.availability;
    }
    case 'data':
      return metric.name === 'lostAcknowledgedWrites' ? cp.lostAcknowledgedWrites : cp.acknowledgedWrites;
    default:
      return null;
  }
}

/** The value a metric reference names for one client; null when undefined (e.g. never recovered). */
export function metricValue(client: ClientResult, metric: MetricRef, faults: readonly FaultRecord[] = [], dataPlane?: DataPlaneAccount): number | null {
  switch (metric.type) {
    case 'sidecar': {
      const s = dataPlane?.sidecars.find((x) => x.client === client.name);
      if (!s) return null;
      if (metric.name === 'maxEjected') return s.maxEjected;
      const counter = { ejections: 'outlier_detection.ejections_enforced_total', ejectionsOverflow: 'outlier_detection.ejections_overflow', retries: 'upstream_rq_retry' }[metric.name];
      return s.counters[counter] ?? 0;
    }
    case 'injection': {
      const impact = faults[metric.injection]?.impact?.[client.name];
      if (!impact) return null;
      if (metric.name === 'failed' || metric.name === 'requests') return impact[metric.name];
      return metric.name === 'recovery' ? impact.recoveryTimeMs : metric.name === 'failover' ? impact.timeToFailoverMs : impact.failbackTimeMs;
    }
    case 'client-time':
      if (metric.name === 'ejection') return client.ejectionTimeMs ?? null;
      return (metric.name === 'recovery' ? client.recoveryTimeMs : metric.name === 'failover' ? client.timeToFailoverMs : client.failbackTimeMs) ?? null;
    case 'phase-value':
      return client.phases[metric.phase][metric.name];
    case 'latency':
      return client.phases[metric.phase].latencyMs?.[metric.quantile] ?? null;
    case 'locality':
      return client.phases[metric.phase].locality[metric.name];
    case 'tier':
      return client.phases[metric.phase].tiers[`p${metric.tier}` as 'p0'];
    case 'served-by':
      return client.phases[metric.phase].servedBy[metric.depth][metric.name] ?? 0;
    default:
      return null;
  }
}

/**
 * Why a client's figure for `metric` verifies nothing, or null: its records are
 * incomplete, or the window the metric covers holds no request (a figure over
 * no request is 0 failures, 0 ms recovery: it would pass whatever happened).
 */
export function unverifiedReason(client: ClientResult, metric: MetricRef, faults: readonly FaultRecord[] = [], dataPlane?: DataPlaneAccount): string | null {
  if (client.incomplete) return client.incomplete;
  if (metric.type === 'sidecar' && !dataPlane?.sidecars.some((s) => s.client === client.name)) return `no sidecar account for ${client.name} (the local provider's Envoy sidecars give one)`;
  const empty = (phase: 'baseline' | 'fault' | 'recovery') => (client.phases[phase].requests === 0 ? `${client.name} sent no request in the ${phase} phase` : null);
  switch (metric.type) {
    case 'injection': {
      const impact = faults[metric.injection]?.impact?.[client.name];
      return impact && impact.requests === 0 ? `${client.name} sent no request in injection(${metric.injection})'s window` : null;
    }
    case 'client-time':
      return empty('fault') ?? (metric.name === 'failback' ? empty('recovery') : null);
    case 'phase-value':
    case 'latency':
    case 'locality':
    case 'tier':
    case 'served-by':
      return empty(metric.phase);
    default:
      return null;
  }
}

/** Why a run-level figure verifies nothing (its phase had no probe), or null. */
function runUnverifiedReason(cp: ControlPlaneResult | undefined, metric: MetricRef): string | null {
  if (metric.type === 'control-plane-phase' && cp) {
    const p = cp.phases[metric.phase];
    const probes = metric.name === 'writeAvailability' ? p.writes : metric.name === 'linearizableReadAvailability' ? p.linearizableReads : p.serializableReads;
    return probes.requests === 0 ? `no control-plane probe ran in the ${metric.phase} phase` : null;
  }
  return null;
}

/** Said by every reason `tooShortReason` gives (renderers show such a figure as not seen, never as missed). */
export const RUN_ENDED_FIRST = 'its window ended before its budget did';

/**
 * The window a failback or recovery time is looked for in: from the revert (failback) or the injection (recovery)
 * to the run's end, or, for injection(N), to where the next injection's window begins (as faultImpacts cuts it).
 */
function timeWindow(metric: MetricRef, faults: readonly FaultRecord[], windows: PhaseWindows): { from: number; end: number } | null {
  if (metric.type === 'client-time') {
    const from = metric.name === 'failback' ? windows.revertedAt : metric.name === 'recovery' ? windows.injectedAt : undefined;
    return from === undefined ? null : { from, end: windows.end };
  }
  if (metric.type === 'injection') {
    const f = faults[metric.injection];
    const from = !f ? null : metric.name === 'failback' ? f.revertedAtMs : metric.name === 'recovery' ? f.injectedAtMs : null;
    if (!f || from === null) return null;
    return { from, end: nextInjectionStart(f, faults) ?? windows.end };
  }
  return null;
}

/**
 * Why "never" verifies nothing for a time budget: the window the time is looked for in ended before the budget ran
 * out, so a failback or a recovery that keeps the budget could still have come after it. Null when the figure was
 * measured, or the window covered the budget (then "never" is a miss).
 */
export function tooShortReason(actual: number | null, metric: MetricRef, op: Comparator, budgetMs: number | null, faults: readonly FaultRecord[], windows: PhaseWindows | undefined): string | null {
  if (actual !== null || budgetMs === null || !windows || (op !== '<' && op !== '<=')) return null;
  if (metric.type !== 'client-time' && metric.type !== 'injection') return null;
  const w = timeWindow(metric, faults, windows);
  if (!w || w.from >= w.end) return null;
  const seenMs = w.end - w.from;
  // "<= B" is kept by a time of exactly B, which a window of B (records sent before its end) cannot hold.
  if (op === '<' ? seenMs >= budgetMs : seenMs > budgetMs) return null;
  const name = metric.type === 'injection' ? `injection(${metric.injection}).${metric.name}` : metric.name;
  const since = metric.name === 'failback' ? 'the revert' : 'the injection';
  const until = metric.type === 'injection' && w.end < windows.end ? 'the next injection began' : 'the run ended';
  const lengthen = metric.type === 'injection' ? 'the timeline' : metric.name === 'failback' ? '--recovery' : '--duration or --recovery';
  return `no ${name} in the ${Math.floor(seenMs / 100) / 10} s from ${since} until ${until}, shorter than its ${budgetMs / 1000} s budget: ${RUN_ENDED_FIRST} (lengthen ${lengthen} to judge it)`;
}

/** Evaluates each assertion for its client, or for every client when it names none. `windows`: the run's phases, which say whether "never" is a miss. */
export function evaluateAssertions(exprs: readonly AssertionExpr[], clients: readonly ClientResult[], controlPlane?: ControlPlaneResult, faults: readonly FaultRecord[] = [], capacity?: CapacityResult, dataPlane?: DataPlaneAccount, windows?: PhaseWindows): AssertionResult[] {
  return exprs.flatMap((expr) => {
    if (isRunLevel(expr.metric)) {
      const actual = runMetricValue(controlPlane, expr.metric, capacity);
      const unverified = runUnverifiedReason(controlPlane, expr.metric);
      return [{ name: expr.source, client: '', metric: expr.metricPath, op: expr.op, passed: unverified === null && compare(actual, expr.op, expr.expected), actual, expected: expr.expected, ...(unverified ? { unverified } : {}), ...(expr.override ? { override: expr.override } : {}) }];
    }
    return clients
      .filter((c) => expr.client === undefined || expr.client === c.name)
      .map((c) => {
        const actual = metricValue(c, expr.metric, faults, dataPlane);
        const unverified = unverifiedReason(c, expr.metric, faults, dataPlane) ?? tooShortReason(actual, expr.metric, expr.op, expr.expected, faults, windows);
        const rhs = expr.source.slice(expr.source.lastIndexOf(expr.op) + expr.op.length).trim();
        return {
          name: `client(${c.name}).${expr.metricPath} ${expr.op} ${rhs}`,
          client: c.name,
          metric: expr.metricPath,
          op: expr.op,
          passed: unverified === null && compare(actual, expr.op, expr.expected),
          actual,
          expected: expr.expected,
          ...(unverified ? { unverified } : {}),
          ...(expr.override ? { override: expr.override } : {}),
        };
      });
  });
}
