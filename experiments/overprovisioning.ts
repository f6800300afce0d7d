import { defineExperiment } from '../harness/index.js';

// Envoy's overprovisioning factor (1.4, which istiod leaves at Envoy's
// default): a priority keeps all its traffic while at least 1/1.4 ≈ 71% of its
// endpoints are healthy, and below that sends the rest on. zone-a loses one of
// its four instances (75% healthy: everything stays home); zone-c loses two of
// four (50% healthy: 50% × 1.4 = 70% stays, about 30% spills to the next
// priority, zones a and b).

export default defineExperiment({
  name: 'overprovisioning',
  description: 'One of zone-a\'s four instances and two of zone-c\'s four answer 503 and are ejected; client-a stays home, client-c spills about 30% to the other zones.',
  verifies: 'client-a: ≥ 95% served in zone-a with 1 of 4 ejected; client-c: 20–40% served outside zone-c with 2 of 4 ejected (1 − 0.5 × 1.4 = 30%).',
  topology: {
    clusters: [
      {
        name: 'c1',
        regions: [
          {
            name: 'eu-west-1',
            zones: [
              { name: 'zone-a', nodes: [{ name: 'svc-a', instances: 4 }, { name: 'client-a', client: true }] },
              { name: 'zone-b', nodes: [{ name: 'svc-b', instances: 4 }] },
              { name: 'zone-c', nodes: [{ name: 'svc-c', instances: 4 }, { name: 'client-c', client: true }] },
            ],
          },
        ],
      },
    ],
  },
  policy: {
    // Ejected once and kept out for the whole run: the split is measured with a steady number of healthy endpoints.
    outlierDetection: { consecutiveErrors: 1, interval: '500ms', baseEjectionTime: '60s', maxEjectionPercent: 100 },
    retries: { attempts: 2, perTryTimeout: '500ms', retryRemoteLocalities: true },
  },
  traffic: { rate: 40, timeout: '2s' },
  // 16 s of fault: the first 3 s after the ejections (at about 100 ms) still kept 78–88% of client-c's requests
  // home, measured on every run here (not explained: the sidecar's own view has both ejected by then); over an
  // 8 s phase that lag alone put the figure at 74–82% (CI: 81.9%, over the 80% bound). Steady, it is 66–72%.
  phases: { baseline: '3s', fault: '16s', recovery: '2s' },
  faults: [
    { kind: 'http-error', target: { instance: 'svc-a-1' }, status: 503, ratio: 1 },
    { kind: 'http-error', target: { instance: 'svc-c-1' }, status: 503, ratio: 1 },
    { kind: 'http-error', target: { instance: 'svc-c-2' }, status: 503, ratio: 1 },
  ],
  assertions: [
    'client(client-a).fault.errorRate <= 1%',
    'client(client-a).fault.servedBy.zone(zone-a) >= 95%',
    'client(client-c).fault.errorRate <= 1%',
    'client(client-c).fault.servedBy.zone(zone-c) >= 60%',
    'client(client-c).fault.servedBy.zone(zone-c) <= 80%',
  ],
});
