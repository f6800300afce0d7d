import type { Capacity } from '../core/topology.js';

// How much an echo instance can serve, and what it does above it. Pure: the
// echo server holds one Limiter; the providers render its arguments.

/** echo-server arguments for a node's capacity (none when unlimited). */
export function capacityArgs(capacity: Capacity | undefined): string[] {
  return capacity ? ['--capacity', String(capacity.rps), '--overflow', capacity.overflow] : [];
}

/**
 * Capacity as a generic cell rate algorithm: each request moves a theoretical
 * arrival time (TAT) on by 1/rps; a request that comes more than the
 * tolerance (half a second of requests: merged request streams arrive in
 * small bursts, and a steady load at exactly the capacity must not shed)
 * before its TAT is over capacity. `take` (overflow: shed) says whether it is
 * served; `slot` (overflow: queue) how long it waits for its turn, in order.
 */
export class Limiter {
  private tat: number;
  private readonly interval: number;
  private readonly tolerance: number;
  constructor(
    readonly rps: number,
    now: number,
  ) {
    this.interval = 1000 / rps;
    this.tolerance = Math.max(1, rps / 2) * this.interval;
    this.tat = now;
  }

  take(now: number): boolean {
    const tat = Math.max(this.tat, now);
    if (tat - now > this.tolerance) return false;
    this.tat = tat + this.interval;
    return true;
  }

  slot(now: number): number {
    const tat = Math.max(this.tat, now);
    this.tat = tat + this.interval;
    return Math.max(0, tat - now - this.tolerance);
  }
}

/**
 * An InstanceLoad from an echo's /state answer. An instance that did not
 * answer (null) or answered without its counters is an error: read as zeros
 * it would make `capacity.shed == 0` pass on a count nobody took.
 */
export function loadFromState(instance: string, capacityRps: number, state: unknown): { instance: string; capacityRps: number; served: number; shed: number; maxQueueMs: number } {
  const s = state as { served?: unknown; shed?: unknown; maxQueueMs?: unknown } | null;
  if (s === null || typeof s !== 'object' || typeof s.served !== 'number' || typeof s.shed !== 'number') {
    throw new Error(`could not read the load counters of ${instance} (its /state answered ${JSON.stringify(state)?.slice(0, 120)}): the capacity figures cannot be taken`);
  }
  const n = (v: unknown) => (typeof v === 'number' ? v : 0);
  return { instance, capacityRps, served: n(s.served), shed: n(s.shed), maxQueueMs: n(s.maxQueueMs) };
}
