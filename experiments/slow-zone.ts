import { defineExperiment } from '../harness/index.js';
import { threeZones } from '../clusters/three-zones.js';

// A gray failure of a whole zone: zone-a's instances answer 900 ms late, past
// the 500 ms per-try timeout, while passing their health checks. Timeouts count
// as errors for outlier detection: zone-a's instances are ejected and client-a
// fails over to zones b and c, where answers are fast again.


export default defineExperiment({
  name: 'slow-zone',
  description: "zone-a's instances answer 900 ms (± 100 ms) late, past the per-try timeout; client-a must fail over to zones b and c and see fast answers again.",
  verifies: 'client-a: zone-a ejected within 2 s, recovery < 3 s, at most 2% failed, ≤ 5% served by zone-a during the fault, p50 latency < 100 ms in the fault and p99 < 100 ms after; clients b and c untouched.',
  topology: threeZones(),
  policy: {
    outlierDetection: { consecutiveErrors: 1, interval: '1s', baseEjectionTime: '30s', maxEjectionPercent: 100 },
    retries: { attempts: 2, perTryTimeout: '500ms' },
  },
  traffic: { rate: 20, timeout: '2s' },
  phases: { baseline: '3s', fault: '8s', recovery: '3s' },
  faults: [{ kind: 'latency', target: { zone: 'zone-a' }, delay: '900ms', jitter: '100ms' }],
  assertions: [
    'client(client-a).baseline.latency.p99 < 100ms',
    'client(client-a).ejection.timeMs < 2s',
    'client(client-a).recovery.timeMs < 3s',
    // Envoy retries a per-try timeout (retryOn reset) on another host and counts it toward ejection: on Envoy
    // 0 of 160 failed (the former HAProxy stand-in lost 32, docs/local-mesh.md).
    'client(client-a).fault.errorRate <= 2%',
    'client(client-a).fault.servedBy.zone(zone-a) <= 5%',
    'client(client-a).fault.latency.p50 < 100ms',
    'client(client-a).recovery.latency.p99 < 100ms',
    'client(client-b).fault.errorRate == 0',
    'client(client-c).fault.errorRate == 0',
  ],
});
