import type { Experiment } from '../core/experiment.js';
import type { Journal } from '../core/journal.js';

/** The journal of a run that failed before it could measure anything. */
export function errorJournal(o: { runId: string; experiment: Experiment; provider: string; isolation: string; startedAt: string; error: string; recovery: { windowMs: number; threshold: number } }): Journal {
  const ex = o.experiment;
  return {
    schemaVersion: 1,
    runId: o.runId,
    experiment: ex.name,
    description: ex.description,
    provider: o.provider,
    isolation: o.isolation,
    status: 'error',
    error: o.error,
    startedAt: o.startedAt,
    finishedAt: new Date().toISOString(),
    settings: { ratePerClient: ex.traffic.rate, requestTimeoutMs: ex.traffic.timeout, phasesMs: ex.phases, recoveryWindowMs: o.recovery.windowMs, recoveryThreshold: o.recovery.threshold, overrides: ex.overrides ?? [] },
    policy: ex.policy,
    topology: { nodes: ex.topology.nodes },
    timeline: [],
    faults: [],
    clients: [],
    assertions: [],
    metrics: { requests: 0, failed: 0, assertionsPassed: 0, assertionsFailed: 0 },
    environment: {},
    records: { files: [], count: 0 },
  };
}
