import { defineExperiment } from '../harness/index.js';
import { zonalTopology } from '../clusters/zonal.js';

// Seed 002: three etcd members tolerate the loss of one. Kill the leader:
// writes pause for about one election timeout, a new leader is elected, no
// acknowledged write is lost, and client traffic never notices.

export default defineExperiment({
  name: 'etcd-member-loss',
  description: 'The etcd leader of a 3-member control plane is killed; a new leader must take over within a few election timeouts with no acknowledged write lost.',
  verifies: 'write unavailability < 4 s (election timeout 1 s), a new leader elected, 0 lost acknowledged writes, client error rate 0.',
  topology: zonalTopology({ zones: 3, membersIn: { a: 1, b: 1, c: 1 } }),
  phases: { baseline: '3s', fault: '6s', recovery: '5s' },
  faults: [{ kind: 'etcd-member-loss', which: 'leader', count: 1, mode: 'kill' }],
  assertions: [
    // The election timeout is randomised in [1 s, 2 s); a write that was on its way to the lost leader waits out
    // its 1 s operation before the next one finds the new leader. 3 s was the sum without slack: a loaded CI
    // machine measured 3,003 ms once. 4 s still fails a store that needs a second election round.
    'controlPlane.writeUnavailableMs < 4s',
    'controlPlane.leaderElectionMs < 3s',
    'controlPlane.predictedQuorumLoss == 0',
    'controlPlane.readOnly == 0',
    'controlPlane.recovery.writeAvailability == 100%',
    'data.lostAcknowledgedWrites == 0',
    'fault.errorRate == 0',
    'fault.locality.sameZone >= 95%',
  ],
  // On kind writes go through a kube-apiserver: its etcd client and request retries add to the election.
  providerAssertions: {
    kind: ['controlPlane.writeUnavailableMs < 5s'],
  },
});
