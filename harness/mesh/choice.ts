import type { FailoverPolicy } from '../core/policy.js';

// The data plane a kind run installs. Istio renders the whole failover policy;
// plain Kubernetes (no mesh) keeps traffic in its zone with the Service's
// trafficDistribution and nothing else. What a mesh cannot express is said
// before anything starts and recorded with the run, never silently dropped.

export const MESHES = ['istio', 'none'] as const;
export type Mesh = (typeof MESHES)[number];

/** The Service field plain Kubernetes uses instead of a mesh (GA in Kubernetes 1.35; kindest/node v1.36 has it). */
export const PREFER_SAME_ZONE = 'PreferSameZone';

/** Parts of the failover policy a mesh does not put in force, each with why; empty when all are. */
export function policyNotInForce(mesh: Mesh, policy: FailoverPolicy): string[] {
  if (mesh === 'istio') return [];
  const out = ['outlier detection (kube-proxy has none: an endpoint leaves only when its pod goes unready, after the node-monitor grace period for a dead node)'];
  if (policy.failover.length > 0) out.push(`failover order ${policy.failover.map((f) => `${f.from} → ${f.to}`).join(', ')} (a Service prefers the same zone, then spreads over every ready endpoint)`);
  out.push('region and subzone preference (trafficDistribution: PreferSameZone knows zones only)');
  out.push(`retries (${policy.retries.attempts}, ${policy.retries.perTryTimeout} ms per try) and connect timeout (${policy.connectTimeout} ms): no proxy to retry`);
  return out;
}

export function describeMesh(mesh: Mesh, istioVersion: string): string {
  return mesh === 'istio' ? `Istio ${istioVersion}` : `none: Kubernetes Services with trafficDistribution: ${PREFER_SAME_ZONE}, kube-proxy, no sidecars`;
}
