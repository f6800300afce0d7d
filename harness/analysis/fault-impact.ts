import type { Experiment } from '../core/experiment.js';
import type { FaultRecord, InjectionImpact } from '../core/journal.js';
import type { RequestRecord } from '../traffic/record.js';
import { failbackTimeMs, preferredTier, recoveryTimeMs, timeToFailoverMs, type RecoveryOptions } from './time-metrics.js';

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
  w: { injectStart: number; injectedAt: number; revertStart: number | null; revertedAt: number | null; windowEnd: number },
  recovery: RecoveryOptions,
): InjectionImpact {
  const inWindow = (from: number, to: number) => records.filter((r) => r.sentAt >= from && r.sentAt < to);
  const inEnd = w.revertStart ?? w.windowEnd;
  const during = inWindow(w.injectStart, inEnd);
  return {
    requests: during.length,
    failed: during.filter((r) => r.error !== null).length,
    recoveryTimeMs: recoveryTimeMs(inWindow(w.injectStart, w.windowEnd), w.injectedAt, recovery),
    timeToFailoverMs: timeToFailoverMs(during, w.injectedAt, client.locality, preferred, failover),
    failbackTimeMs: w.revertStart !== null && w.revertedAt !== null ? failbackTimeMs(inWindow(w.revertStart, w.windowEnd), w.revertedAt, client.locality, preferred, failover) : null,
  };
}

/** Every injection's impact on every client; driver-overload records are the driver's and left out. */
export function faultImpacts(ex: Experiment, all: readonly RequestRecord[], injections: readonly FaultRecord[], end: number, recovery: RecoveryOptions): Map<FaultRecord, Record<string, InjectionImpact>> {
  const endpoints = ex.topology.instances.map((i) => i.locality);
  const starts = injections.map((r) => r.injectStartedAtMs).sort((a, b) => a - b);
  const out = new Map<FaultRecord, Record<string, InjectionImpact>>();
  const byClient = new Map<string, RequestRecord[]>();
  for (const r of all) if (r.error !== 'driver-overload') (byClient.get(r.client) ?? byClient.set(r.client, []).get(r.client)!).push(r);
  for (const list of byClient.values()) list.sort((a, b) => a.sentAt - b.sentAt);
  for (const injection of injections) {
    const windowEnd = starts.find((t) => t > injection.injectStartedAtMs) ?? end;
    const impact: Record<string, InjectionImpact> = {};
    for (const client of ex.topology.clients) {
      const preferred = preferredTier(client.locality, endpoints, ex.policy.failover);
      impact[client.name] = injectionImpact(byClient.get(client.name) ?? [], client, preferred, ex.policy.failover, {
        injectStart: injection.injectStartedAtMs,
        injectedAt: injection.injectedAtMs,
        revertStart: injection.revertStartedAtMs,
        revertedAt: injection.revertedAtMs,
        windowEnd,
      }, recovery);
    }
    out.set(injection, impact);
  }
  return out;
}
