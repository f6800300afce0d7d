import { defineExperiment } from '../harness/index.js';

// A flapping node: svc-a's instances are killed for a second, three times,
// every 2.5 s. Each time the client must eject them and move to svc-a2 (same
// zone) within its window, and take them back when they return.

export default defineExperiment({
  name: 'flapping-instance',
  description: "svc-a's instances die for 1 s at 1 s, 3.5 s and 6 s of the fault phase; the zone's client moves to svc-a2 each time and returns.",
  verifies: 'each of the three injections: recovery < 1 s and failback < 2 s for client-a, which stays in its zone throughout.',
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
    retries: { attempts: 2, perTryTimeout: '500ms' },
  },
  traffic: { rate: 20, timeout: '2s' },
  phases: { baseline: '3s', fault: '8s', recovery: '3s' },
  faults: [{ kind: 'kill-instance', target: { node: 'svc-a' }, at: '1s', duration: '1s', repeat: { times: 3, every: '2.5s' } }],
  assertions: [
    ...[0, 1, 2].flatMap((n) => [`client(client-a).injection(${n}).recovery.timeMs < 1s`, `client(client-a).injection(${n}).failback.timeMs < 2s`]),
    'client(client-a).fault.locality.sameZone >= 99%',
  ],
});
