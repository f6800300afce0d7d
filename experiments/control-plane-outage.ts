import { defineExperiment } from '../harness/index.js';
import { zonalTopology } from '../clusters/zonal.js';

// The whole control plane freezes. Nothing answers writes or reads, yet the
// data plane keeps its last configuration: client traffic must not notice.

export default defineExperiment({
  name: 'control-plane-outage',
  description: 'Every etcd member is frozen at once: no write or read answers, yet client traffic keeps a 0 error rate and its locality; everything answers again after revert.',
  verifies: 'control-plane availability ≈ 0 during the fault, client error rate 0 and same-zone ≥ 95% throughout, writes back within 5 s of revert.',
  topology: zonalTopology({ zones: 3, membersIn: { a: 1, b: 1, c: 1 } }),
  phases: { baseline: '3s', fault: '6s', recovery: '6s' },
  faults: [{ kind: 'etcd-member-loss', which: 'any', count: 'all', mode: 'freeze' }],
  assertions: [
    'controlPlane.fault.writeAvailability <= 5%',
    'controlPlane.fault.linearizableReadAvailability <= 5%',
    'controlPlane.fault.serializableReadAvailability <= 5%',
    'controlPlane.writeRecoveryMs < 5s',
    'controlPlane.recovery.serializableReadAvailability >= 90%',
    'data.lostAcknowledgedWrites == 0',
    'fault.errorRate == 0',
    'fault.locality.sameZone >= 95%',
  ],
  // On kind the paused control-plane nodes resume and the API servers reconnect before writes return.
  providerAssertions: {
    kind: ['controlPlane.writeRecoveryMs < 30s'],
  },
});
