import { defineExperiment } from '../harness/index.js';
import { zonalTopology } from '../clusters/zonal.js';

// A zone dies while the network between zone-a and zone-b is partitioned.
// zone-a's client must fail over within its region, but only to the zone it
// can still reach: zone-c. Outlier detection has to eject zone-b's endpoints
// as unreachable, not merely as dead.

export default defineExperiment({
  name: 'zone-partition',
  description: "zone-a and zone-b are partitioned (dropped both ways: nftables locally, iptables in the node containers on kind) while zone-a's instances die: zone-a's client must fail over to zone-c, the only zone it can reach.",
  verifies: 'client-a served ≥ 95% by zone-c and ≤ 5% by zone-b during the fault, recovers < 3 s; client-b unaffected (its own zone); client-c unaffected.',
  topology: zonalTopology({ zones: 3 }),
  phases: { baseline: '4s', fault: '8s', recovery: '6s' },
  // zone-b's hosts time out (the partition drops packets) and zone-a's refuse. Five retries: istiod's
  // update_frequency 2 recomputes the priority load only after every second try, so tries 1–2 can land on
  // zone-a's two dead instances and 3–4 on zone-b's two unreachable ones while Envoy re-ejects them (up to 1 s
  // late after each un-ejection, update_merge_window); the fifth, every one of those hosts already tried
  // (previous_hosts), reaches zone-c. With three retries 2–6 of 160 failed this way; with five, 0 of 160 in
  // three runs. Recovered is at most 10% failed in any 2 s; the fault phase's error budget is asserted apart.
  recovery: { window: '2s', threshold: 0.9 },
  // retryRemoteLocalities: a retry leaves the priorities already tried (docs/local-mesh.md).
  policy: { retries: { attempts: 5, retryRemoteLocalities: true } },
  faults: [
    { kind: 'partition', between: ['zone-a', 'zone-b'] },
    { kind: 'zone-outage', zone: 'zone-a', mode: 'kill' },
  ],
  assertions: [
    'client(client-a).fault.servedBy.zone(zone-c) >= 95%',
    'client(client-a).fault.servedBy.zone(zone-b) <= 5%',
    'client(client-a).recovery.timeMs < 3s',
    'client(client-a).fault.errorRate < 5%',
    'client(client-b).fault.errorRate == 0',
    'client(client-b).fault.locality.sameZone >= 95%',
    'client(client-c).fault.errorRate == 0',
  ],
});
