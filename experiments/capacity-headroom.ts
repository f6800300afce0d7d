import { defineExperiment } from '../harness/index.js';
import { threeZones } from '../clusters/three-zones.js';

// Three zones of 2 instances, each serving at most 15 req/s: 90 req/s of
// capacity for 60 req/s of load, 1.5×. Losing one zone leaves 60 for 60: the
// survivors absorb zone-a's clients exactly, which is what "with three sites
// you need 1.5× capacity to lose one" means.

export default defineExperiment({
  name: 'capacity-headroom',
  description: 'Three zones with 1.5× capacity lose zone-a: the survivors must absorb its load without shedding.',
  verifies: 'predicted: survivors hold 1.0× the load (no overload); measured: no request shed, no error outside zone-a, client-a recovers < 3 s.',
  topology: threeZones({ capacity: 15 }),
  policy: {
    outlierDetection: { consecutiveErrors: 1, interval: '1s', baseEjectionTime: '2s', maxEjectionPercent: 100 },
    // retryRemoteLocalities: a retry leaves the priorities already tried. Without it Envoy re-ejects a dead host up to
    // 1 s late after each un-ejection (update_merge_window), and every try can land on it (docs/local-mesh.md).
    retries: { attempts: 2, perTryTimeout: '500ms', retryRemoteLocalities: true },
  },
  traffic: { rate: 20, timeout: '2s' },
  phases: { baseline: '3s', fault: '8s', recovery: '4s' },
  faults: [{ kind: 'zone-outage', zone: 'zone-a', mode: 'kill' }],
  assertions: [
    'capacity.baselineHeadroom >= 1.5',
    'capacity.predictedOverload == 0',
    'capacity.shed == 0',
    'capacity.predictionHeld == 1',
    'client(client-a).recovery.timeMs < 3s',
    'client(client-b).fault.errorRate == 0',
    'client(client-c).fault.errorRate == 0',
  ],
});
