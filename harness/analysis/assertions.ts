import { compare, type AssertionExpr, type MetricRef } from '../core/assertion-expr.js';
import type { AssertionResult, ClientResult } from '../core/journal.js';

/** The value a metric reference names for one client; null when undefined (e.g. never recovered). */
export function metricValue(client: ClientResult, metric: MetricRef): number | null {
  switch (metric.type) {
    case 'client-time':
      return metric.name === 'recovery' ? client.recoveryTimeMs : metric.name === 'failover' ? client.timeToFailoverMs : client.failbackTimeMs;
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
  }
}

/** Evaluates each assertion for its client, or for every client when it names none. */
export function evaluateAssertions(exprs: readonly AssertionExpr[], clients: readonly ClientResult[]): AssertionResult[] {
  return exprs.flatMap((expr) =>
    clients
      .filter((c) => expr.client === undefined || expr.client === c.name)
      .map((c) => {
        const actual = metricValue(c, expr.metric);
        const rhs = expr.source.slice(expr.source.lastIndexOf(expr.op) + expr.op.length).trim();
        return {
          name: `client(${c.name}).${expr.metricPath} ${expr.op} ${rhs}`,
          client: c.name,
          metric: expr.metricPath,
          op: expr.op,
          passed: compare(actual, expr.op, expr.expected),
          actual,
          expected: expr.expected,
        };
      }),
  );
}
