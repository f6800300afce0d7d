import type { Experiment } from '../core/experiment.js';
import type { ClientResult } from '../core/journal.js';
import { analyseClient } from '../analysis/analyse-client.js';
import type { PhaseWindows } from '../analysis/phase-windows.js';
import type { RecoveryOptions } from '../analysis/time-metrics.js';
import type { RequestRecord } from '../traffic/record.js';
import { binSize, clientSeries } from '../analysis/series.js';

/** Per-client results of a run, with the chart series. Pure. */
export function analyseRun(experiment: Experiment, records: readonly RequestRecord[], windows: PhaseWindows, recovery: RecoveryOptions): ClientResult[] {
  const endpointLocalities = experiment.topology.instances.map((i) => i.locality);
  // Split and sort once; metrics and series read the same slice.
  const byClient = new Map<string, RequestRecord[]>();
  for (const r of records) (byClient.get(r.client) ?? byClient.set(r.client, []).get(r.client)!).push(r);
  const binMs = binSize(windows.end - windows.baselineStart, undefined, experiment.traffic.rate);
  return experiment.topology.clients.map((client) => {
    const mine = (byClient.get(client.name) ?? []).sort((a, b) => a.sentAt - b.sentAt);
    const result = analyseClient({
      name: client.name,
      locality: client.locality,
      endpointLocalities,
      failover: experiment.policy.failover,
      ratePerSecond: experiment.traffic.rate,
      records: mine,
      windows,
      recovery,
    });
    return { ...result, series: clientSeries(mine, windows.baselineStart, windows.end, binMs) };
  });
}

