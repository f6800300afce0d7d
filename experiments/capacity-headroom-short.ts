import { defineExperiment } from '../harness/index.js';
import { threeZones } from '../clusters/three-zones.js';

// The same three zones with 1.2× capacity (12 req/s per instance): losing
// zone-a leaves 48 req/s for 60. The prediction says overload, and the run
// shows it: the survivors shed, and their own clients see errors. Like
// bad-placement, the assertions state this documented outcome.

export default defineExperiment({
  name: 'capacity-headroom-short',
  description: 'Three zones with only 1.2× capacity lose zone-a: the survivors are overloaded and shed (the expected, documented outcome).',
  verifies: 'predicted overload (survivors hold 0.8× the load) and measured shedding agree; clients of the surviving zones see errors.',
  topology: threeZones({ capacity: 12 }),
  policy: {
    outlierDetection: { consecutiveErrors: 1, interval: '1s', baseEjectionTime: '2s', maxEjectionPercent: 100 },
    retries: { attempts: 2, perTryTimeout: '500ms' },
  },
  traffic: { rate: 20, timeout: '2s' },
  phases: { baseline: '3s', fault: '8s', recovery: '4s' },
  faults: [{ kind: 'zone-outage', zone: 'zone-a', mode: 'kill' }],
  assertions: [
    'capacity.baselineHeadroom < 1.5',
    'capacity.predictedOverload == 1',
    'capacity.shed > 0',
    'capacity.predictionHeld == 1',
    'client(client-b).baseline.errorRate == 0',
    'client(client-b).fault.errorRate > 0',
  ],
});
