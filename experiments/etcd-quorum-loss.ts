import { defineExperiment } from '../harness/index.js';
import { zonalTopology } from '../clusters/zonal.js';

// Seed 002: lose two of three etcd members and the store goes read-only:
// writes and linearizable reads fail for the whole fault, serializable reads
// from the survivor still answer, and the data plane keeps serving.

export default defineExperiment({
  name: 'etcd-quorum-loss',
  description: 'Two of three etcd members are killed: the store must go read-only (serializable reads still answer) while client traffic is untouched, then recover.',
  verifies: 'writes fail for the whole fault, serializable reads ≥ 95%, client error rate 0, writes back within 5 s of revert, 0 lost acknowledged writes.',
  topology: zonalTopology({ zones: 3, membersIn: { a: 1, b: 1, c: 1 } }),
  phases: { baseline: '3s', fault: '6s', recovery: '6s' },
  faults: [{ kind: 'etcd-member-loss', which: 'follower', count: 2, mode: 'kill' }],
  assertions: [
    'controlPlane.predictedQuorumLoss == 1',
    'controlPlane.readOnly == 1',
    'controlPlane.fault.serializableReadAvailability >= 95%',
    'controlPlane.fault.linearizableReadAvailability <= 10%',
    'controlPlane.writeRecoveryMs < 5s',
    'data.lostAcknowledgedWrites == 0',
    'fault.errorRate == 0',
    'fault.locality.sameZone >= 95%',
  ],
  // On kind the kubelet starts etcd again from its manifest and the API servers reconnect before writes return.
  providerAssertions: {
    kind: ['controlPlane.writeRecoveryMs < 30s'],
  },
});
