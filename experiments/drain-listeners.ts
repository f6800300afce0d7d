import { defineExperiment } from '../harness/index.js';

// Seed 004: region cn-north-4, zone cn-north-4b, subzones beijing, tianjin and
// shenyang with one instance each; the client sits in tianjin. Draining
// tianjin's listener must move its traffic to beijing and shenyang.

const subzone = (name: string, client = false) => ({
  name,
  nodes: [{ name: `${name}-svc`, instances: 1 }, ...(client ? [{ name: `${name}-client`, client: true }] : [])],
});

export default defineExperiment({
  name: 'drain-listeners',
  description: "The tianjin instance's listener is drained (new connections refused); the tianjin client must move to the other subzones of its zone.",
  verifies: 'before: traffic stays in tianjin; during: it is shared between beijing and shenyang; after restore: it returns to tianjin.',
  topology: {
    clusters: [
      {
        name: 'c1',
        regions: [{ name: 'cn-north-4', zones: [{ name: 'cn-north-4b', subzones: [subzone('beijing'), subzone('tianjin', true), subzone('shenyang')] }] }],
      },
    ],
  },
  phases: { baseline: '4s', fault: '6s', recovery: '5s' },
  // retryRemoteLocalities: a retry leaves the priorities already tried. Without it Envoy re-ejects a dead host up to
  // 1 s late after each un-ejection (update_merge_window), and every try can land on it (docs/local-mesh.md).
  policy: { retries: { retryRemoteLocalities: true } },
  faults: [{ kind: 'drain-listeners', target: { subzone: 'tianjin' } }],
  assertions: [
    'client(tianjin-client).baseline.servedBy.subzone(tianjin) >= 95%',
    'client(tianjin-client).fault.servedBy.subzone(tianjin) <= 5%',
    'client(tianjin-client).fault.servedBy.subzone(beijing) >= 30%',
    'client(tianjin-client).fault.servedBy.subzone(shenyang) >= 30%',
    'client(tianjin-client).fault.locality.sameZone >= 99%',
    'client(tianjin-client).recovery.timeMs < 2s',
    'client(tianjin-client).failback.timeMs < 4s',
  ],
  // On kind the restored pod passes its readiness probe and istiod pushes its endpoint before traffic returns.
  providerAssertions: {
    kind: ['client(tianjin-client).failback.timeMs < 15s'],
  },
  // Plain Kubernetes and Linkerd know zones, not subzones: the three subzones share one zone, so traffic is
  // spread over them from the start and has no subzone to come home to.
  meshAssertions: {
    none: [
      // Live on kind: kube-proxy balances connections, not requests, and at 20 req/s the driver's requests ride one
      // kept-alive connection: all of them went to one instance (shenyang's), so the drain touched the client only
      // when that connection happened to be tianjin's (the drain closes open connections too).
      { notExpected: 'client(tianjin-client).baseline.servedBy.subzone(tianjin)', why: 'no subzone preference, and kube-proxy places connections, not requests: the client\'s kept-alive connection lands on any of the zone\'s ready endpoints' },
      { notExpected: 'client(tianjin-client).failback.timeMs', why: 'no subzone preference: there is no home subzone to return to' },
      // kube-proxy keeps the drained endpoint until its readiness probe has failed 3 times, 1 s apart, and nothing retries.
      'client(tianjin-client).recovery.timeMs < 10s',
    ],
    linkerd: [
      { notExpected: 'client(tianjin-client).baseline.servedBy.subzone(tianjin)', why: 'Linkerd\'s zone hints know zones, not subzones: traffic spreads over the zone\'s endpoints by latency' },
      { notExpected: 'client(tianjin-client).failback.timeMs', why: 'no subzone preference: there is no home subzone to return to' },
    ],
  },
});
