import { defineExperiment } from '../harness/index.js';
import { zonalTopology } from '../clusters/zonal.js';

// A deliberately bad placement: two of three etcd members share zone-a. The
// placement check predicts that losing zone-a loses quorum; the run shows it.

export default defineExperiment({
  name: 'bad-placement',
  description: 'Two of three etcd members sit in zone-a, which then fails: the placement check predicts quorum loss and the run must show the store going read-only.',
  verifies: 'predicted quorum loss == observed read-only store; no acknowledged write lost; clients outside zone-a unaffected.',
  topology: zonalTopology({ zones: 3, membersIn: { a: 2, b: 1 } }),
  phases: { baseline: '3s', fault: '6s', recovery: '6s' },
  faults: [{ kind: 'zone-outage', zone: 'zone-a', mode: 'kill' }],
  assertions: [
    'controlPlane.predictedQuorumLoss == 1',
    'controlPlane.readOnly == 1',
    // The leader is most likely in zone-a, so the survivor has campaigned alone through the fault and
    // its term ran ahead (etcd 3.4 has no pre-vote by default): after the revert the election can take
    // a few 1–2 s rounds, and a restarted member serves clients only once it has published itself
    // (up to its 7 s request timeout when its first proposal found no leader). Measured here 0–3.4 s,
    // 5.7 s on a loaded CI machine; 10 s still fails a store that does not come back.
    'controlPlane.writeRecoveryMs < 10s',
    'data.lostAcknowledgedWrites == 0',
    'client(client-b).fault.errorRate == 0',
    'client(client-c).fault.errorRate == 0',
  ],
  // On kind the stopped control-plane nodes boot again and the API servers reconnect before writes return.
  providerAssertions: {
    kind: ['controlPlane.writeRecoveryMs < 60s'],
  },
});
