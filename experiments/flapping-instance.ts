import { defineExperiment } from '../harness/index.js';

// A flapping node: svc-a's instance is killed for a second, three times,
// every 4 s. Each time the client must move to svc-a2 (same zone) within its
// window, and take svc-a back when it returns. A killed container's pod goes
// not ready even when it restarts at once (the kubelet saw it exit): its
// endpoint leaves and comes back one readiness probe after it serves again,
// about 1.8 s after the revert (docs/local-mesh.md), which the 3 s windows leave room for.

export default defineExperiment({
  name: 'flapping-instance',
  description: "svc-a's instance dies for 1 s at 1 s, 5 s and 9 s of the fault phase; the zone's client moves to svc-a2 each time and returns.",
  verifies: 'each of the three injections: recovery < 1 s and failback < 2.5 s for client-a, which stays in its zone throughout.',
  topology: {
    clusters: [
      {
        name: 'c1',
        regions: [
          {
            name: 'eu-west-1',
            zones: [
              { name: 'zone-a', subzones: [{ name: 'rack-1', nodes: [{ name: 'svc-a', instances: 1 }, { name: 'client-a', client: true }] }, { name: 'rack-2', nodes: [{ name: 'svc-a2', instances: 1 }] }] },
              { name: 'zone-b', nodes: [{ name: 'svc-b', instances: 1 }] },
            ],
          },
        ],
      },
    ],
  },
  policy: {
    outlierDetection: { consecutiveErrors: 1, interval: '500ms', baseEjectionTime: '500ms', maxEjectionPercent: 100 },
    // retryRemoteLocalities: a retry leaves the priorities already tried. Without it Envoy re-ejects a dead host up to
    // 1 s late after each un-ejection or endpoint change (update_merge_window), and every try can land on it (docs/local-mesh.md).
    retries: { attempts: 2, perTryTimeout: '500ms', retryRemoteLocalities: true },
  },
  traffic: { rate: 20, timeout: '2s' },
  phases: { baseline: '3s', fault: '12s', recovery: '3s' },
  faults: [{ kind: 'kill-instance', target: { node: 'svc-a' }, at: '1s', duration: '1s', repeat: { times: 3, every: '4s' } }],
  assertions: [
    ...[0, 1, 2].flatMap((n) => [`client(client-a).injection(${n}).recovery.timeMs < 1s`, `client(client-a).injection(${n}).failback.timeMs < 2.5s`]),
    'client(client-a).fault.locality.sameZone >= 99%',
  ],
});
