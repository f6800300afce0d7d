import { defineExperiment } from '../harness/index.js';

// maxEjectionPercent honoured: every instance of zone-a answers 503, but the
// policy lets outlier detection eject at most half of the service's six
// instances. Envoy ejects three of zone-a's four and refuses the fourth
// (outlier_detection.ejections_overflow); that one stays in rotation and keeps
// taking first tries, which the retries carry to zone-b.

export default defineExperiment({
  name: 'max-ejection-percent',
  description: "All four of zone-a's instances answer 503; maxEjectionPercent 50 lets the sidecar eject three of the six instances and no more.",
  verifies: "client-a's sidecar: never more than 3 instances ejected at once, the 4th ejection refused; the retries keep client-a served by zone-b without errors.",
  topology: {
    clusters: [
      {
        name: 'c1',
        regions: [
          {
            name: 'eu-west-1',
            zones: [
              { name: 'zone-a', nodes: [{ name: 'svc-a', instances: 4 }, { name: 'client-a', client: true }] },
              { name: 'zone-b', nodes: [{ name: 'svc-b', instances: 2 }] },
            ],
          },
        ],
      },
    ],
  },
  policy: {
    // 30 s ejections: each instance is ejected once, and the cap is what keeps the fourth in.
    outlierDetection: { consecutiveErrors: 1, interval: '500ms', baseEjectionTime: '30s', maxEjectionPercent: 50 },
    // 503 is retried (on another host, and with retryRemoteLocalities in another priority).
    retries: { attempts: 2, perTryTimeout: '500ms', retryRemoteLocalities: true },
  },
  traffic: { rate: 40, timeout: '2s' },
  phases: { baseline: '3s', fault: '6s', recovery: '3s' },
  faults: [{ kind: 'http-error', target: { zone: 'zone-a' }, status: 503, ratio: 1 }],
  assertions: [
    'client(client-a).sidecar.maxEjected == 3',
    'client(client-a).sidecar.ejectionsOverflow >= 1',
    'client(client-a).fault.errorRate <= 1%',
    'client(client-a).fault.servedBy.zone(zone-b) >= 99%',
  ],
  // The kind provider does not read the sidecars' admin API: their figures are the local provider's.
  meshAssertions: Object.fromEntries(
    (['istio', 'linkerd', 'linkerd-failover-extension', 'none'] as const).map((mesh) => [
      mesh,
      ['maxEjected', 'ejectionsOverflow'].map((m) => ({ notExpected: `client(client-a).sidecar.${m}`, why: "the sidecars' own counters are read on the local provider only" })),
    ]),
  ),
});
