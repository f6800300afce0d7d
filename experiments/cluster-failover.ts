import { defineExperiment, NODE_MONITOR_GRACE_S } from '../harness/index.js';

// Two clusters, one region each, one mesh. Every instance of cluster `east`
// fails; its client must be served by cluster `west` (the failover region the
// policy names), and come home after revert. On kind this crosses clusters:
// east-west gateways, a shared root CA and remote secrets (docs/providers.md).

const cluster = (name: string, region: string, zones: string[], client: boolean) => ({
  name,
  regions: [
    {
      name: region,
      zones: zones.map((zone, i) => ({
        name: zone,
        nodes: [{ name: `${name}-svc-${i + 1}`, instances: 2 }, ...(client && i === 0 ? [{ name: `${name}-client`, client: true }] : [])],
      })),
    },
  ],
});

export default defineExperiment({
  name: 'cluster-failover',
  description: "Every instance in cluster east fails; east's client must be served by cluster west, then return home.",
  verifies: 'baseline traffic stays in east; during the outage west serves it all; recovery < 3 s; back in east after revert.',
  topology: { clusters: [cluster('east', 'us-east-1', ['us-east-1a', 'us-east-1b'], true), cluster('west', 'us-west-2', ['us-west-2a'], false)] },
  // retryRemoteLocalities: a retry leaves the priorities already tried. Without it Envoy re-ejects a dead host up to
  // 1 s late after each un-ejection (update_merge_window), and every try can land on it (docs/local-mesh.md).
  // Four retries: istiod's update_frequency 2 recomputes the priority load only after every second try, so
  // tries 1–2 can land in us-east-1a and 3–4 in us-east-1b (both dead, un-ejected for a moment after each
  // ejection ends); the fifth try leaves both and reaches west. With three retries 3–8 of 160 failed this way.
  policy: { failover: [{ from: 'us-east-1', to: 'us-west-2' }], retries: { attempts: 4, retryRemoteLocalities: true } },
  phases: { baseline: '4s', fault: '8s', recovery: '12s' },
  // Recovered is at most 10% failed in any 2 s (0–1 of 160 failed in three runs with four retries, the one a
  // request in flight at the kill), and the fault phase's error budget is asserted apart.
  recovery: { window: '2s', threshold: 0.9 },
  faults: [{ kind: 'region-outage', region: 'us-east-1', mode: 'kill' }],
  assertions: [
    'client(east-client).baseline.locality.sameRegion >= 95%',
    // Requests sent while the inject action runs may still reach east.
    'client(east-client).fault.servedBy.region(us-east-1) <= 2%',
    'client(east-client).fault.servedBy.region(us-west-2) >= 95%',
    'client(east-client).recovery.timeMs < 3s',
    'client(east-client).fault.errorRate < 8%',
    // Envoy ejects a dead host for base × n, n the ejections in a row (2 s, 4 s, 6 s… over 8 s), each ended at an
    // interval's sweep: home again up to about 8 s after the revert (measured: 5.3–8.4 s).
    'client(east-client).failback.timeMs < 10s',
  ],
  // On kind the cluster's nodes boot again and their pods pass readiness before traffic returns.
  providerAssertions: {
    kind: ['client(east-client).failback.timeMs < 120s'],
  },
  meshAssertions: {
    // A federated Service puts both clusters' endpoints in one balancer: no home cluster, failover by failure accrual.
    linkerd: [
      'client(east-client).baseline.errorRate == 0',
      { notExpected: 'client(east-client).baseline.locality.sameRegion', why: "a federated Service balances over both clusters' endpoints by latency: east is not preferred" },
      { notExpected: 'client(east-client).failback.timeMs', why: 'with both clusters in one balancer traffic never returns wholly to east' },
      'client(east-client).recovery.servedBy.region(us-east-1) >= 10%',
    ],
    // The extension moves the TrafficSplit's weight only when east's Service has no ready endpoint: a stopped
    // node's pods stay Ready until the node-monitor grace period (NODE_MONITOR_GRACE_S, 20 s on the kind clusters the harness makes), longer than this fault phase.
    'linkerd-failover-extension': [
      'client(east-client).fault.errorRate >= 50%',
      { notExpected: 'client(east-client).recovery.timeMs', why: `the TrafficSplit moves only when east has no ready endpoint (after the node-monitor grace period, ${NODE_MONITOR_GRACE_S} s on the kind clusters the harness makes), so run with --duration 40s to see it` },
      { notExpected: 'client(east-client).fault.servedBy.region(us-west-2)', why: `the TrafficSplit moves only when east has no ready endpoint (after the node-monitor grace period, ${NODE_MONITOR_GRACE_S} s on the kind clusters the harness makes)` },
    ],
    // A Service spans one cluster: east's client has nowhere to go.
    none: [
      'client(east-client).fault.errorRate >= 95%',
      { notExpected: 'client(east-client).fault.servedBy.region(us-west-2)', why: 'a Service spans one cluster: nothing in west serves east' },
      { notExpected: 'client(east-client).recovery.timeMs', why: 'east has no endpoint anywhere until the revert' },
    ],
  },
});
