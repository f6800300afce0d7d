import type { Experiment } from '../core/experiment.js';
import type { FaultRecord, InjectionImpact } from '../core/journal.js';
import type { RequestRecord } from '../traffic/record.js';
import { phaseMetrics } from './phase-metrics.js';
import { ejectionTimeMs, failbackTimeMs, preferredTier, recoveryTimeMs, timeToFailoverMs, type RecoveryOptions } from './time-metrics.js';

// Each injection's figures for each client, over the injection's own window:
// from its inject to the next injection's inject (or the end of the run).
// Failed requests and failover are counted while it is in ([inject, revert)),
// recovery from its t_f through its window, failback from its revert through
// its window. The phase figures stay as they are. Pure.

export function injectionImpact(
  records: readonly RequestRecord[],
  client: { locality: Experiment['topology']['clients'][number]['locality'] },
  preferred: ReturnType<typeof preferredTier>,
  failover: Experiment['policy']['failover'],
  w: { injectStart: number; injectedAt: number; revertStart: number | null; revertedAt: number | null; windowEnd: number; nextInjection?: number },
  recovery: RecoveryOptions,
  /** The instances this injection acted on (null: none, a partition or etcd member), and when this client last reached one as they saw it. */
  ejection: { faulted: ReadonlySet<string> | null; lastArrival?: number } = { faulted: null },
): InjectionImpact {
  // A request still in flight when the next injection began met that one: a failure, or a retry served
  // elsewhere because the next fault struck it mid-flight. It belongs to neither window's verdict (by send
  // time it would end this window served away from home, or failed).
  const cutByNext = (r: RequestRecord) => w.nextInjection !== undefined && r.sentAt + r.latencyMs >= w.nextInjection;
  const inWindow = (from: number, to: number) => records.filter((r) => r.sentAt >= from && r.sentAt < to && !cutByNext(r));
  const inEnd = Math.min(w.revertStart ?? w.windowEnd, w.windowEnd);
  const during = inWindow(w.injectStart, inEnd);
  // No failback without requests after the revert inside the window (an empty window would read 0).
  const afterRevert = w.revertStart !== null && w.revertedAt !== null ? inWindow(w.revertStart, w.windowEnd) : [];
  const phase = phaseMetrics(during, { start: w.injectStart, end: inEnd }, client.locality, failover);
  return {
    requests: during.length,
    failed: during.filter((r) => r.error !== null).length,
    recoveryTimeMs: recoveryTimeMs(inWindow(w.injectStart, w.windowEnd), w.injectedAt, recovery),
    timeToFailoverMs: timeToFailoverMs(during, w.injectedAt, client.locality, preferred, failover),
    failbackTimeMs: afterRevert.length > 0 ? failbackTimeMs(afterRevert, w.revertedAt!, client.locality, preferred, failover) : null,
    // Only an injection that acts on instances has one (a partition or an etcd member has none).
    ...(ejection.faulted ? { ejectionTimeMs: ejectionTimeMs(records, w.injectedAt, w.revertStart ?? w.windowEnd, ejection.faulted, recovery.windowMs, ejection.lastArrival) } : {}),
    servedBy: phase.servedBy,
    blackoutMs: phase.blackoutMs,
    after: { requests: afterRevert.length, failed: afterRevert.filter((r) => r.error !== null).length },
  };
}

/**
 * A client's ejection time over the run: the slowest of its injections' (each
 * counts only requests sent while that injection was in, to the instances it
 * acted on); null when one never ejected; undefined (not measured) when no
 * injection's instances answer requests (kill, freeze, isolate, drain,
 * partition, etcd member): the records cannot say when sending to them stopped.
 */
export function runEjectionTimeMs(impacts: readonly (InjectionImpact | undefined)[]): number | null | undefined {
  const values = impacts.filter((i): i is InjectionImpact => i !== undefined && i.ejectionTimeMs !== undefined).map((i) => i.ejectionTimeMs!);
  if (values.length === 0) return undefined;
  if (values.some((v) => v === null)) return null;
  return Math.max(...(values as number[]));
}

/** Where an injection's window ends, if another does: where an injection planned later begins (faults planned for one instant share their window). */
export function nextInjectionStart(injection: FaultRecord, injections: readonly FaultRecord[]): number | undefined {
  const planned = (r: FaultRecord) => r.plannedAtMs ?? r.injectStartedAtMs;
  const later = injections.filter((o) => planned(o) > planned(injection)).map((o) => o.injectStartedAtMs);
  return later.length ? Math.min(...later) : undefined;
}

/** Every injection's impact on every client; driver-overload records are the driver's and left out. */
export function faultImpacts(ex: Experiment, all: readonly RequestRecord[], injections: readonly FaultRecord[], end: number, recovery: RecoveryOptions): Map<FaultRecord, Record<string, InjectionImpact>> {
  const endpoints = ex.topology.instances.map((i) => i.locality);
  const out = new Map<FaultRecord, Record<string, InjectionImpact>>();
  const byClient = new Map<string, RequestRecord[]>();
  for (const r of all) if (r.error !== 'driver-overload') (byClient.get(r.client) ?? byClient.set(r.client, []).get(r.client)!).push(r);
  for (const list of byClient.values()) list.sort((a, b) => a.sentAt - b.sentAt);
  const preferred = new Map(ex.topology.clients.map((c) => [c.name, preferredTier(c.locality, endpoints, ex.policy.failover)]));
  for (const injection of injections) {
    const next = nextInjectionStart(injection, injections);
    const windowEnd = next ?? end;
    // The records show when requests stopped reaching an instance only if it answers them: a gray fault's
    // instance does (errors, slow answers). A killed, frozen, isolated or drained one answers nothing, so the
    // records would read "ejected at once" (0) whatever the data plane did: not measured here (the sidecar's
    // own ejection of it is in dataPlane, locally). Partitions and etcd members name no instance.
    const answers = injection.kind === 'http-error' || injection.kind === 'latency';
    const faulted = answers ? faultedInstances(ex, injection.affected) : null;
    const impact: Record<string, InjectionImpact> = {};
    for (const client of ex.topology.clients) {
      impact[client.name] = injectionImpact(
        byClient.get(client.name) ?? [],
        client,
        preferred.get(client.name)!,
        ex.policy.failover,
        { injectStart: injection.injectStartedAtMs, injectedAt: injection.injectedAtMs, revertStart: injection.revertStartedAtMs, revertedAt: injection.revertedAtMs, windowEnd, ...(next !== undefined ? { nextInjection: next } : {}) },
        recovery,
        { faulted, ...(injection.lastRequestAtMs?.[client.name] !== undefined ? { lastArrival: injection.lastRequestAtMs[client.name] } : {}) },
      );
    }
    out.set(injection, impact);
  }
  return out;
}

/**
 * The instances a fault acted on, by the names records carry: what it names
 * as affected, and the instances on nodes it names (an isolated node).
 */
export function faultedInstances(ex: Experiment, affected: readonly string[]): Set<string> {
  const names = new Set(affected);
  for (const i of ex.topology.instances) if (names.has(i.node)) names.add(i.name);
  return names;
}
