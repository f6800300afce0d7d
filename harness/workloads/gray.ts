import type { FaultSpec } from '../core/fault-spec.js';

// The echo admin call that injects a gray failure, for either provider. Pure.

export type GrayFault = Extract<FaultSpec, { kind: 'http-error' | 'latency' }>;

export function isGray(spec: FaultSpec): spec is GrayFault {
  return spec.kind === 'http-error' || spec.kind === 'latency';
}

/** `POST /<action>?<query>` on the echo's admin listener; `/restore` undoes it. */
export function grayCall(spec: GrayFault): { action: 'fail' | 'slow'; query: string } {
  if (spec.kind === 'http-error') return { action: 'fail', query: new URLSearchParams({ status: String(spec.status), ratio: String(spec.ratio) }).toString() };
  return { action: 'slow', query: new URLSearchParams({ delayMs: String(spec.delay), jitterMs: String(spec.jitter) }).toString() };
}

/** How a gray fault reads in logs and the report ("503 on 50%", "900 ms ± 100 ms"). */
export function describeGray(spec: GrayFault): string {
  if (spec.kind === 'http-error') return `${spec.status} on ${Math.round(spec.ratio * 1000) / 10}% of requests`;
  return `${spec.delay} ms${spec.jitter ? ` ± ${spec.jitter} ms` : ''} late`;
}

/** The latest arrival per client over several instances' `/state` answers. */
export function mergeArrivals(states: readonly unknown[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const state of states) {
    const arrivals = (state as { lastArrival?: Record<string, unknown> } | null)?.lastArrival ?? {};
    for (const [client, at] of Object.entries(arrivals)) if (typeof at === 'number') out[client] = Math.max(out[client] ?? 0, at);
  }
  return out;
}
