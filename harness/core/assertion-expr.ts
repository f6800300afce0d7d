import { didYouMean } from './suggest.js';

// Assertion expressions, k6-threshold style:
//   [client(NAME).]METRIC OP VALUE
//   client(zone-a).recovery.timeMs < 5s
//   fault.servedBy.zone(zone-b) >= 30%
// Without a client(...) prefix the assertion applies to every client.

export const PHASES = ['baseline', 'fault', 'recovery'] as const;
export type Phase = (typeof PHASES)[number];

export type MetricKind = 'duration' | 'ratio' | 'count';
export type Comparator = '<' | '<=' | '>' | '>=' | '==' | '!=';

export type MetricRef =
  | { type: 'client-time'; name: 'recovery' | 'failover' | 'failback' | 'ejection' }
  | { type: 'phase-value'; phase: Phase; name: 'requests' | 'failed' | 'errorRate' | 'blackoutMs' | 'longestFailureRun' }
  | { type: 'latency'; phase: Phase; quantile: 'p50' | 'p90' | 'p99' | 'max' }
  | { type: 'locality'; phase: Phase; name: 'sameSubzone' | 'sameZone' | 'sameRegion' | 'otherRegion' }
  | { type: 'tier'; phase: Phase; tier: number }
  | { type: 'served-by'; phase: Phase; depth: 'region' | 'zone' | 'subzone' | 'instance'; name: string }
  | { type: 'control-plane'; name: (typeof CONTROL_PLANE_VALUES)[number] }
  | { type: 'control-plane-phase'; phase: Phase; name: (typeof CONTROL_PLANE_PHASE_VALUES)[number] }
  | { type: 'data'; name: 'lostAcknowledgedWrites' | 'acknowledgedWrites' }
  /** Capacity, predicted and measured (needs every instance to declare one). */
  | { type: 'capacity'; name: 'shed' | 'predictedOverload' | 'worstHeadroom' | 'baselineHeadroom' | 'predictionHeld' }
  /** The client's sidecar's own account (local Envoy): most instances ejected at once, ejections refused by maxEjectionPercent, retries. */
  | { type: 'sidecar'; name: (typeof SIDECAR_VALUES)[number] }
  /** One injection's own figures (journal faults[N].impact): `injection(N).recovery.timeMs`, `injection(N).failed`. */
  | { type: 'injection'; injection: number; name: 'recovery' | 'failover' | 'failback' | 'failed' | 'requests' };

export const SIDECAR_VALUES = ['maxEjected', 'ejections', 'ejectionsOverflow', 'retries'] as const;
const CONTROL_PLANE_VALUES = ['writeUnavailableMs', 'leaderElectionMs', 'writeRecoveryMs', 'leaderChanges', 'readOnly', 'predictedQuorumLoss', 'writeFailuresDuringFault'] as const;
const CONTROL_PLANE_PHASE_VALUES = ['writeAvailability', 'linearizableReadAvailability', 'serializableReadAvailability'] as const;

/** Run-level metrics are not evaluated per client. */
export function isRunLevel(metric: MetricRef): boolean {
  return metric.type === 'control-plane' || metric.type === 'control-plane-phase' || metric.type === 'data' || metric.type === 'capacity';
}

export interface AssertionExpr {
  /** The expression as written, normalised for display. */
  source: string;
  client: string | undefined;
  metric: MetricRef;
  metricPath: string;
  kind: MetricKind;
  op: Comparator;
  expected: number | null;
  /** Given on the command line (--assert): the experiment's own expression it replaced, null when it added one. */
  override?: { replaces: string | null };
}

export class AssertionSyntaxError extends Error {}

const EXPR = /^\s*(?:client\(\s*['"]?([^)'"]+?)['"]?\s*\)\.)?(\S+?)\s*(<=|>=|==|!=|<|>)\s*(\S+)\s*$/;
const PHASE_VALUES = ['requests', 'failed', 'errorRate', 'blackoutMs', 'longestFailureRun'] as const;
const LOCALITY_VALUES = ['sameSubzone', 'sameZone', 'sameRegion', 'otherRegion'] as const;
const QUANTILES = ['p50', 'p90', 'p99', 'max'] as const;
const DEPTHS = ['region', 'zone', 'subzone', 'instance'] as const;

/** Every metric path, with placeholders, for help text and suggestions. */
export const METRIC_PATHS: readonly string[] = [
  'recovery.timeMs',
  'failover.timeMs',
  'failback.timeMs',
  'ejection.timeMs',
  ...PHASES.flatMap((p) => [
    ...PHASE_VALUES.map((v) => `${p}.${v}`),
    ...QUANTILES.map((q) => `${p}.latency.${q}`),
    ...LOCALITY_VALUES.map((l) => `${p}.locality.${l}`),
    `${p}.tier(N)`,
    ...DEPTHS.map((d) => `${p}.servedBy.${d}(NAME)`),
  ]),
  ...CONTROL_PLANE_VALUES.map((v) => `controlPlane.${v}`),
  ...PHASES.flatMap((p) => CONTROL_PLANE_PHASE_VALUES.map((v) => `controlPlane.${p}.${v}`)),
  'data.lostAcknowledgedWrites',
  'data.acknowledgedWrites',
  'capacity.shed',
  'capacity.predictedOverload',
  'capacity.predictionHeld',
  'capacity.worstHeadroom',
  'capacity.baselineHeadroom',
  ...SIDECAR_VALUES.map((v) => `sidecar.${v}`),
  'injection(N).recovery.timeMs',
  'injection(N).failover.timeMs',
  'injection(N).failback.timeMs',
  'injection(N).failed',
  'injection(N).requests',
];

function includes<T extends string>(list: readonly T[], value: string): value is T {
  return (list as readonly string[]).includes(value);
}

function parseMetric(path: string): { metric: MetricRef; kind: MetricKind } {
  const injection = /^injection\((\d+)\)\.(?:(recovery|failover|failback)\.timeMs|(failed|requests))$/.exec(path);
  if (injection) {
    const name = (injection[2] ?? injection[3]) as 'recovery';
    return { metric: { type: 'injection', injection: Number(injection[1]), name }, kind: injection[2] ? 'duration' : 'count' };
  }
  const sidecar = /^sidecar\.(\w+)$/.exec(path);
  if (sidecar && includes(SIDECAR_VALUES, sidecar[1]!)) return { metric: { type: 'sidecar', name: sidecar[1] }, kind: 'count' };
  const timeMatch = /^(recovery|failover|failback|ejection)\.timeMs$/.exec(path);
  if (timeMatch) return { metric: { type: 'client-time', name: timeMatch[1] as 'recovery' }, kind: 'duration' };
  const cp = /^controlPlane\.(\w+)$/.exec(path);
  if (cp && includes(CONTROL_PLANE_VALUES, cp[1]!)) {
    const kind: MetricKind = cp[1]!.endsWith('Ms') ? 'duration' : 'count';
    return { metric: { type: 'control-plane', name: cp[1] }, kind };
  }
  const cpPhase = /^controlPlane\.(\w+)\.(\w+)$/.exec(path);
  if (cpPhase && includes(PHASES, cpPhase[1]!) && includes(CONTROL_PLANE_PHASE_VALUES, cpPhase[2]!)) {
    return { metric: { type: 'control-plane-phase', phase: cpPhase[1], name: cpPhase[2] }, kind: 'ratio' };
  }
  const capacity = /^capacity\.(shed|predictedOverload|predictionHeld|worstHeadroom|baselineHeadroom)$/.exec(path);
  if (capacity) return { metric: { type: 'capacity', name: capacity[1] as 'shed' }, kind: 'count' };
  const data = /^data\.(lostAcknowledgedWrites|acknowledgedWrites)$/.exec(path);
  if (data) return { metric: { type: 'data', name: data[1] as 'lostAcknowledgedWrites' }, kind: 'count' };
  const [phase, ...rest] = path.split('.');
  const tail = rest.join('.');
  if (phase !== undefined && includes(PHASES, phase)) {
    if (includes(PHASE_VALUES, tail)) {
      const kind: MetricKind = tail === 'errorRate' ? 'ratio' : tail === 'blackoutMs' ? 'duration' : 'count';
      return { metric: { type: 'phase-value', phase, name: tail }, kind };
    }
    const latency = /^latency\.(p50|p90|p99|max)$/.exec(tail);
    if (latency) return { metric: { type: 'latency', phase, quantile: latency[1] as 'p50' }, kind: 'duration' };
    const locality = /^locality\.(\w+)$/.exec(tail);
    if (locality && includes(LOCALITY_VALUES, locality[1]!)) {
      return { metric: { type: 'locality', phase, name: locality[1] }, kind: 'ratio' };
    }
    const tier = /^tier\(([0-4])\)$/.exec(tail);
    if (tier) return { metric: { type: 'tier', phase, tier: Number(tier[1]) }, kind: 'ratio' };
    const served = /^servedBy\.(\w+)\(\s*['"]?([^)'"]+?)['"]?\s*\)$/.exec(tail);
    if (served && includes(DEPTHS, served[1]!)) {
      return { metric: { type: 'served-by', phase, depth: served[1], name: served[2]! }, kind: 'ratio' };
    }
  }
  const generic = path.replace(/\([^)]*\)/g, '(NAME)');
  throw new AssertionSyntaxError(
    `unknown metric "${path}"${didYouMean(generic, METRIC_PATHS)}; metrics look like recovery.timeMs, fault.errorRate, baseline.locality.sameZone, fault.servedBy.zone(NAME)`,
  );
}

function parseValue(raw: string, kind: MetricKind, path: string): number | null {
  if (raw === 'null') return null;
  const match = /^(-?\d+(?:\.\d+)?)([a-z%]*)$/i.exec(raw);
  if (!match) throw new AssertionSyntaxError(`"${raw}" is not a number (expected e.g. 5000, 5s, 0.95 or 95%)`);
  const value = Number(match[1]);
  const unit = match[2] ?? '';
  if (unit === '') {
    if (kind === 'ratio' && value > 1) throw new AssertionSyntaxError(`${raw} is above 1: ${path} is a share, from 0 to 1 (or 0% to 100%)`);
    return value;
  }
  if (kind === 'duration') {
    const scale: Record<string, number> = { ms: 1, s: 1000, m: 60_000 };
    const factor = scale[unit];
    if (factor === undefined) throw new AssertionSyntaxError(`unknown unit "${unit}" in "${raw}": ${path} is a duration, use ms, s or m`);
    return value * factor;
  }
  if (kind === 'ratio') {
    if (unit !== '%') throw new AssertionSyntaxError(`unknown unit "${unit}" in "${raw}": ${path} is a ratio, use 0.95 or 95%`);
    if (value > 100) throw new AssertionSyntaxError(`"${raw}" is above 100%: ${path} is a share, from 0% to 100%`);
    return value / 100;
  }
  throw new AssertionSyntaxError(`unknown unit "${unit}" in "${raw}": ${path} is a count, use a plain number`);
}

export function parseAssertion(text: string): AssertionExpr {
  const match = EXPR.exec(text);
  if (!match) {
    throw new AssertionSyntaxError(
      `cannot read assertion "${text}": expected [client(NAME).]METRIC OP VALUE with OP one of < <= > >= == !=, e.g. "client(zone-a).recovery.timeMs < 5s"`,
    );
  }
  const [, client, metricPath, op, raw] = match as unknown as [string, string | undefined, string, Comparator, string];
  const { metric, kind } = parseMetric(metricPath);
  if (client !== undefined && isRunLevel(metric)) throw new AssertionSyntaxError(`${metricPath} is a run-level metric: drop the client(${client}) prefix`);
  const expected = parseValue(raw, kind, metricPath);
  const prefix = client ? `client(${client}).` : '';
  return { source: `${prefix}${metricPath} ${op} ${raw}`, client, metric, metricPath, kind, op, expected };
}

export function compare(actual: number | null, op: Comparator, expected: number | null): boolean {
  if (actual === null || expected === null) {
    if (op === '==') return actual === expected;
    if (op === '!=') return actual !== expected;
    return false;
  }
  switch (op) {
    case '<':
      return actual < expected;
    case '<=':
      return actual <= expected;
    case '>':
      return actual > expected;
    case '>=':
      return actual >= expected;
    case '==':
      return Math.abs(actual - expected) < 1e-9;
    case '!=':
      return Math.abs(actual - expected) >= 1e-9;
  }
}
