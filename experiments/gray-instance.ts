import { defineExperiment } from '../harness/index.js';

// A gray failure: one instance of zone-a answers 503 to every request while
// passing its readiness checks. Only outlier detection can take it out. Zone-a
// has four instances, so with one ejected 75% stay healthy: above Envoy's
// ~71% (overprovisioning 1.4), the client keeps all its traffic at home on the
// other three.

export default defineExperiment({
  name: 'gray-instance',
  description: 'One instance of zone-a answers 503 to every request (its health checks still pass); outlier detection must eject it while client-a stays in zone-a.',
  verifies: 'client-a: at most 3 failed requests, ejection < 1 s, recovery < 1 s, ≥ 99% served in zone-a during the fault; client-b untouched.',
  topology: {
    clusters: [
      {
        name: 'c1',
        regions: [
          {
            name: 'eu-west-1',
            zones: [
              { name: 'zone-a', nodes: [{ name: 'svc-a', instances: 4 }, { name: 'client-a', client: true }] },
              { name: 'zone-b', nodes: [{ name: 'svc-b', instances: 2 }, { name: 'client-b', client: true }] },
            ],
          },
        ],
      },
    ],
  },
  policy: {
    // One 503 ejects; the ejection outlasts the fault, as in Istio's own locality tests (10 m there).
    outlierDetection: { consecutiveErrors: 1, interval: '1s', baseEjectionTime: '30s', maxEjectionPercent: 100 },
    retries: { attempts: 2, perTryTimeout: '500ms' },
  },
  traffic: { rate: 40, timeout: '2s' },
  phases: { baseline: '3s', fault: '6s', recovery: '3s' },
  faults: [{ kind: 'http-error', target: { instance: 'svc-a-1' }, status: 503, ratio: '100%' }],
  assertions: [
    'client(client-a).baseline.errorRate == 0',
    'client(client-a).fault.failed <= 3',
    'client(client-a).ejection.timeMs < 1s',
    'client(client-a).recovery.timeMs < 1s',
    'client(client-a).fault.locality.sameZone >= 99%',
    'client(client-b).fault.errorRate == 0',
    'client(client-b).fault.locality.sameZone >= 99%',
  ],
  // Without a mesh nothing ejects: svc-a-1 passes its readiness probe, so it stays one of client-a's four
  // same-zone endpoints and answers 503 to its share of requests for the whole fault. Live on kind (a
  // connection per request): 54 of 252 fault-phase requests failed (21%).
  meshAssertions: {
    none: ['client(client-a).fault.errorRate >= 10%', 'client(client-a).fault.errorRate <= 40%'],
  },
});
