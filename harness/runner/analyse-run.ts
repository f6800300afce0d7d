import type { Experiment } from '../core/experiment.js';
import type { ClientResult } from '../core/journal.js';
import { analyseClient } from '../analysis/analyse-client.js';
import type { PhaseWindows } from '../analysis/phase-windows.js';
import type { RecoveryOptions } from '../analysis/time-metrics.js';
import type { RequestRecord } from '../traffic/record.js';

/** Per-client results of a run. Pure. */
export function analyseRun(experiment: Experiment, records: readonly RequestRecord[], windows: PhaseWindows, recovery: RecoveryOptions): ClientResult[] {
  const endpointLocalities = experiment.topology.instances.map((i) => i.locality);
  return experiment.topology.clients.map((client) =>
    analyseClient({
      name: client.name,
      locality: client.locality,
      endpointLocalities,
      failover: experiment.policy.failover,
      ratePerSecond: experiment.traffic.rate,
      records: records.filter((r) => r.client === client.name),
      windows,
      recovery,
    }),
  );
}
