import { defineExperiment } from '../harness/index.js';

// Three regions; the policy names cn-south-1 as cn-north-4's failover region.
// When every cn-north-4 instance fails, traffic must go to cn-south-1 (priority
// 3), not to cn-east-3 (priority 4).

const region = (name: string, client = false) => ({
  name,
  zones: [{ name: `${name}a`, nodes: [{ name: `${name}-svc`, instances: 2 }, ...(client ? [{ name: `${name}-client`, client: true }] : [])] }],
});

export default defineExperiment({
  name: 'region-failover',
  description: 'Every instance in cn-north-4 fails; the failover policy must send its clients to cn-south-1, not cn-east-3.',
  verifies: 'baseline traffic stays in cn-north-4; during the outage it is served by cn-south-1 only; it returns after revert.',
  topology: { clusters: [{ name: 'c1', regions: [region('cn-north-4', true), region('cn-south-1'), region('cn-east-3')] }] },
  // retryRemoteLocalities: a retry leaves the priorities already tried. Without it Envoy re-ejects a dead host up to
  // 1 s late after each un-ejection (update_merge_window), and every try can land on it (docs/local-mesh.md).
  // Three retries: two may land in the region's two dead zones before the third leaves both.
  policy: { failover: [{ from: 'cn-north-4', to: 'cn-south-1' }], retries: { attempts: 3, retryRemoteLocalities: true } },
  phases: { baseline: '4s', fault: '8s', recovery: '12s' },
  faults: [{ kind: 'region-outage', region: 'cn-north-4', mode: 'kill' }],
  assertions: [
    'client(cn-north-4-client).baseline.locality.sameRegion >= 95%',
    // Requests sent while the inject action runs may still reach cn-north-4.
    'client(cn-north-4-client).fault.servedBy.region(cn-north-4) <= 2%',
    'client(cn-north-4-client).fault.servedBy.region(cn-south-1) >= 95%',
    'client(cn-north-4-client).fault.servedBy.region(cn-east-3) == 0',
    'client(cn-north-4-client).recovery.timeMs < 3s',
    // Envoy ejects a dead host for base × n, n the ejections in a row (2 s, 4 s, 6 s… over 8 s), each ended at an
    // interval's sweep: home again up to about 8 s after the revert (measured: 5.3–8.4 s).
    'client(cn-north-4-client).failback.timeMs < 10s',
  ],
  // On kind the region's nodes boot again and their pods pass readiness before traffic returns.
  providerAssertions: {
    kind: ['client(cn-north-4-client).failback.timeMs < 120s'],
  },
});
