import { matchesSelector, type Experiment } from '../../core/experiment.js';

// The instances that get a server-side Envoy: those a drain-listeners fault in
// sidecar mode drains (Istio's locality-failover task drains the instance's own
// sidecar). Every other instance is reached directly, as before: a server-side
// proxy in front of each would double the processes on a 2-core machine for
// nothing the other faults need.

export function inboundSidecarInstances(ex: Pick<Experiment, 'faults' | 'topology'>): Set<string> {
  const out = new Set<string>();
  for (const f of ex.faults) {
    if (f.kind !== 'drain-listeners' || f.mode !== 'sidecar') continue;
    for (const i of ex.topology.instances) if (matchesSelector(i, f.target)) out.add(i.name);
  }
  return out;
}
