import { defineExperiment, NODE_MONITOR_GRACE_S } from '../harness/index.js';
import { threeZones } from '../clusters/three-zones.js';

// One region, three zones with two instances each and a client each. Zone A's
// instances vanish together; zone A's client (its ingress, which survives) must
// fail over to zones B and C; clients in B and C must not notice.


export default defineExperiment({
  name: 'zone-outage',
  description: 'All service instances of zone-a vanish at once (kill, freeze or isolate); traffic from zone-a must fail over within its region.',
  verifies: 'client-a recovers within 3 s and is served by zone-b and zone-c during the outage; client-b and client-c see no errors and stay in their zones.',
  topology: threeZones(),
  policy: {
    outlierDetection: { consecutiveErrors: 1, interval: '1s', baseEjectionTime: '2s', maxEjectionPercent: 100 },
    // retryRemoteLocalities: a retry leaves the priorities already tried. Without it Envoy re-ejects a dead host up to
    // 1 s late after each un-ejection (update_merge_window), and every try can land on it (docs/local-mesh.md).
    retries: { attempts: 2, perTryTimeout: '500ms', retryRemoteLocalities: true },
  },
  traffic: { rate: 20, timeout: '2s' },
  // Recovery is long enough for the failback: Envoy ejects a dead host for base × n, n growing with each ejection in a row.
  phases: { baseline: '4s', fault: '8s', recovery: '12s' },
  faults: [{ kind: 'zone-outage', zone: 'zone-a', mode: 'kill' }],
  assertions: [
    'client(client-a).baseline.locality.sameZone >= 95%',
    'client(client-a).recovery.timeMs < 3s',
    // Requests sent while the inject action runs may still reach zone-a. A frozen zone answers, when thawed at
    // the revert, the tries it held: a host un-ejected in the fault phase's last 500 ms (the per-try timeout)
    // holds every try sent to it in that time, 20 req/s × 0.5 s = 10 of the phase's 160 (6.25%; measured 0–9).
    'client(client-a).fault.servedBy.zone(zone-a) <= 7%',
    'client(client-a).fault.servedBy.zone(zone-b) >= 25%',
    'client(client-a).fault.servedBy.zone(zone-c) >= 25%',
    // Envoy ejects a dead host for base × n, n the ejections in a row (2 s, 4 s, 6 s… over 8 s), each ended at an
    // interval's sweep: home again up to about 8 s after the revert (measured: 5.3–8.4 s).
    'client(client-a).failback.timeMs < 10s',
    'client(client-b).fault.errorRate == 0',
    'client(client-b).fault.locality.sameZone >= 95%',
    'client(client-c).fault.errorRate == 0',
    'client(client-c).fault.locality.sameZone >= 95%',
  ],
  // On kind a stopped node boots again, its kubelet recreates the pod sandboxes and the pods pass readiness
  // before the mesh sends traffic home: that is part of kind's failback, not the mesh's.
  providerAssertions: {
    kind: ['client(client-a).failback.timeMs < 120s'],
  },
  // Without Istio's outlier detection a stopped node's endpoints stay in the Service until Kubernetes marks the
  // node NotReady (the node-monitor grace period, NODE_MONITOR_GRACE_S, 20 s on the kind clusters the harness makes), longer than this fault phase, and zone preference
  // keeps client-a on them: the run shows the outage instead of a failover.
  meshAssertions: {
    none: [
      // Frozen (docker pause), zone-a holds what it was sent and answers it at the thaw: a request sent in the
      // last 2 s (the traffic timeout) of the 8 s fault phase succeeds then. Live on kind: 98% failed killed or
      // isolated, 76.7% frozen; >= 90% (the first expectation) held for kill and isolate only.
      'client(client-a).fault.errorRate >= 70%',
      { notExpected: 'client(client-a).recovery.timeMs', why: `kube-proxy keeps sending to zone-a's endpoints until the node-monitor grace period ends (${NODE_MONITOR_GRACE_S} s on the harness's kind clusters), longer than the fault phase` },
      { notExpected: 'client(client-a).fault.servedBy.zone(zone-b)', why: 'trafficDistribution: PreferSameZone keeps zone-a\'s endpoints first while they are listed' },
      { notExpected: 'client(client-a).fault.servedBy.zone(zone-c)', why: 'trafficDistribution: PreferSameZone keeps zone-a\'s endpoints first while they are listed' },
    ],
    linkerd: [
      // As without a mesh: a frozen zone answers at the thaw what was sent in the fault phase's last 2 s.
      'client(client-a).fault.errorRate >= 70%',
      { notExpected: 'client(client-a).recovery.timeMs', why: `zone hints keep client-a on zone-a's endpoints while they are listed (until the node-monitor grace period, ${NODE_MONITOR_GRACE_S} s on the kind clusters the harness makes), and failure accrual only fails them fast` },
      { notExpected: 'client(client-a).fault.servedBy.zone(zone-b)', why: 'Linkerd falls back to other zones only when no endpoint of the client\'s zone is listed' },
      { notExpected: 'client(client-a).fault.servedBy.zone(zone-c)', why: 'Linkerd falls back to other zones only when no endpoint of the client\'s zone is listed' },
    ],
  },
});
