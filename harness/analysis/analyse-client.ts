import { PHASES, type Phase } from '../core/assertion-expr.js';
import type { ClientResult, PhaseMetrics } from '../core/journal.js';
import type { FailoverRule, Locality } from '../core/locality.js';
import type { RequestRecord } from '../traffic/record.js';
import { phaseBounds, phaseOf, type PhaseWindows } from './phase-windows.js';
import { phaseMetrics } from './phase-metrics.js';
import { failbackTimeMs, largestSendGapMs, preferredTier, recoveryTimeMs, timeToFailoverMs, type RecoveryOptions } from './time-metrics.js';

export interface ClientAnalysisInput {
  name: string;
  locality: Locality;
  /** Localities of every service endpoint, to know the client's preferred tier. */
  endpointLocalities: readonly Locality[];
  failover: readonly FailoverRule[];
  ratePerSecond: number;
  records: readonly RequestRecord[];
  windows: PhaseWindows;
  recovery: RecoveryOptions;
}

/**
 * Turns one client's records into per-phase metrics and time metrics. Pure.
 * Requests the driver could not send on time ('driver-overload') are the
 * driver's, never the service's: they are counted apart (`notSent`) and left
 * out of every other figure.
 */
export function analyseClient(input: ClientAnalysisInput): ClientResult {
  const byPhase: Record<Phase, RequestRecord[]> = { baseline: [], fault: [], recovery: [] };
  const notSent: Record<Phase, number> = { baseline: 0, fault: 0, recovery: 0 };
  const sent: RequestRecord[] = [];
  for (const r of [...input.records].sort((a, b) => a.sentAt - b.sentAt)) {
    const phase = phaseOf(r.sentAt, input.windows);
    if (!phase) continue;
    if (r.error === 'driver-overload') {
      notSent[phase]++;
      continue;
    }
    byPhase[phase].push(r);
    sent.push(r);
  }
  const phases = Object.fromEntries(
    PHASES.map((p) => [p, { ...phaseMetrics(byPhase[p], phaseBounds(p, input.windows), input.locality, input.failover), notSent: notSent[p] }]),
  ) as Record<Phase, PhaseMetrics>;
  const preferred = preferredTier(input.locality, input.endpointLocalities, input.failover);
  const afterFault = [...byPhase.fault, ...byPhase.recovery];
  return {
    name: input.name,
    locality: input.locality,
    preferredTier: preferred,
    resolutionMs: largestSendGapMs(sent, 1000 / input.ratePerSecond),
    phases,
    recoveryTimeMs: recoveryTimeMs(afterFault, input.windows.injectedAt, input.recovery),
    timeToFailoverMs: timeToFailoverMs(byPhase.fault, input.windows.injectedAt, input.locality, preferred, input.failover),
    failbackTimeMs: failbackTimeMs(byPhase.recovery, input.windows.revertedAt, input.locality, preferred, input.failover),
  };
}
