import { defineExperiment } from '../harness/index.js';
import { zonalTopology } from '../clusters/zonal.js';

// Five zones, one etcd member each: two zones can fail together and quorum
// (3 of 5) holds. Surviving one zone costs 1.25× capacity, two zones 5/3×.

export default defineExperiment({
  name: 'stateful-zone-outage-5',
  description: 'Two of five zones (each with one etcd member and a fifth of the service) go down together: quorum holds, writes continue, no acknowledged write is lost.',
  verifies: 'quorum predicted and kept with 2 of 5 members lost, write unavailability < 4 s, 0 lost writes, zone-a and zone-b clients recover < 3 s; report shows 1.25× (one zone) and 1.67× (two zones).',
  topology: zonalTopology({ zones: 5, instancesPerZone: 1, membersIn: { a: 1, b: 1, c: 1, d: 1, e: 1 } }),
  phases: { baseline: '3s', fault: '6s', recovery: '6s' },
  // retryRemoteLocalities: a retry leaves the priorities already tried. Without it Envoy re-ejects a dead host up to
  // 1 s late after each un-ejection (update_merge_window), and every try can land on it (docs/local-mesh.md).
  policy: { retries: { attempts: 3, retryRemoteLocalities: true } },
  faults: [
    { kind: 'zone-outage', zone: 'zone-a', mode: 'kill' },
    { kind: 'zone-outage', zone: 'zone-b', mode: 'kill' },
  ],
  assertions: [
    'controlPlane.predictedQuorumLoss == 0',
    'controlPlane.readOnly == 0',
    // The election timeout is randomised in [1 s, 2 s); a write that was on its way to the lost leader waits out
    // its 1 s operation before the next one finds the new leader. 3 s was the sum without slack: a loaded CI
    // machine measured 3,003 ms once. 4 s still fails a store that needs a second election round.
    'controlPlane.writeUnavailableMs < 4s',
    'data.lostAcknowledgedWrites == 0',
    'client(client-a).recovery.timeMs < 3s',
    'client(client-b).recovery.timeMs < 3s',
    'client(client-c).fault.errorRate == 0',
    'client(client-d).fault.errorRate == 0',
    'client(client-e).fault.errorRate == 0',
  ],
  // On kind writes go through a kube-apiserver: its etcd client and request retries add to the election.
  providerAssertions: {
    kind: ['controlPlane.writeUnavailableMs < 5s'],
  },
});
