import { notExpectedFor, type Experiment, type MeshName } from '../core/experiment.js';
import { DEFAULT_RETRY_ON, type FailoverPolicy } from '../core/policy.js';
import { linkerdNotInForce, type LinkerdMulticlusterMode } from './linkerd.js';

// The data plane a kind run installs. Istio renders the whole failover policy;
// Linkerd renders what it can express (failure accrual, retries, a federated
// Service or the failover extension across clusters); plain Kubernetes (no
// mesh) keeps traffic in its zone with the Service's trafficDistribution and
// nothing else. What a mesh cannot express is said before anything starts and
// recorded with the run, never silently dropped.

export const MESHES = ['istio', 'linkerd', 'none'] as const;
export type Mesh = (typeof MESHES)[number];

/** The Service field plain Kubernetes uses instead of a mesh (GA in Kubernetes 1.35; kindest/node v1.36 has it). */
export const PREFER_SAME_ZONE = 'PreferSameZone';

export interface MeshContext {
  multiCluster: boolean;
  linkerdMode: LinkerdMulticlusterMode;
}

const SINGLE: MeshContext = { multiCluster: false, linkerdMode: 'federated' };

/** What a mesh in a context needs and which expectations it is held to; one place for every caller (CLI, prerequisites, provider). */
export interface DataPlaneShape {
  /** The experiment's meshAssertions key: Linkerd's failover extension across clusters behaves unlike its federated default. */
  key: MeshName;
  /** Gateways with LoadBalancer addresses (MetalLB): Istio across clusters, and the extension's gateway-mode mirrors. */
  gateways: boolean;
  /** Nodes routed to the other clusters' pod CIDRs: Linkerd's federated Services reach remote pods directly. */
  podToPod: boolean;
}

export function dataPlaneShape(mesh: Mesh, ctx: MeshContext): DataPlaneShape {
  const extension = mesh === 'linkerd' && ctx.multiCluster && ctx.linkerdMode === 'failover-extension';
  return {
    key: extension ? 'linkerd-failover-extension' : mesh,
    gateways: ctx.multiCluster && (mesh === 'istio' || extension),
    podToPod: mesh === 'linkerd' && ctx.multiCluster && ctx.linkerdMode === 'federated',
  };
}

/** What a kind run on this data plane does not put in force and which assertions it is not held to: printed before a run, recorded with it. */
export interface DataPlaneNotes {
  notInForce: string[];
  notExpected: { metric: string; why: string }[];
}

export function dataPlaneNotes(mesh: Mesh, experiment: Experiment, ctx: MeshContext): DataPlaneNotes {
  return { notInForce: policyNotInForce(mesh, experiment.policy, ctx), notExpected: notExpectedFor(experiment, 'kind', dataPlaneShape(mesh, ctx).key) };
}

/** Parts of the policy only Istio's Envoy expresses, when the policy sets them: listed as not in force on the other data planes. */
export function istioOnlyParts(policy: FailoverPolicy): string[] {
  const od = policy.outlierDetection;
  const r = policy.retries;
  const out: string[] = [];
  if (policy.failoverPriority.length > 0) out.push(`failoverPriority ${policy.failoverPriority.join(', ')} (Istio's label-ordered priorities)`);
  if (policy.distribute.length > 0) out.push("distribute (Istio's weighted shares per locality)");
  if (od.consecutiveGatewayErrors !== undefined) out.push(`consecutiveGatewayErrors ${od.consecutiveGatewayErrors}`);
  if (od.minHealthPercent !== undefined) out.push(`minHealthPercent ${od.minHealthPercent}% (Envoy's panic threshold)`);
  if (od.splitExternalLocalOriginErrors) out.push(`splitExternalLocalOriginErrors${od.consecutiveLocalOriginFailures !== undefined ? ` with consecutiveLocalOriginFailures ${od.consecutiveLocalOriginFailures}` : ''}`);
  if (r.attempts > 0 && r.retryOn !== DEFAULT_RETRY_ON) out.push(`retryOn ${r.retryOn} (retried by the data plane's own rules)`);
  if (r.retryRemoteLocalities) out.push('retryRemoteLocalities');
  if (policy.timeout !== undefined) out.push(`the route timeout of ${policy.timeout} ms`);
  return out;
}

/** Parts of the failover policy a mesh does not put in force, each with why; empty when all are. */
export function policyNotInForce(mesh: Mesh, policy: FailoverPolicy, ctx: MeshContext = SINGLE): string[] {
  if (mesh === 'istio') return [];
  if (mesh === 'linkerd') return [...linkerdNotInForce(policy, ctx.multiCluster, ctx.linkerdMode), ...istioOnlyParts(policy)];
  const out = ['outlier detection (kube-proxy has none: an endpoint leaves only when its pod goes unready, after the node-monitor grace period for a dead node)'];
  if (policy.failover.length > 0) out.push(`failover order ${policy.failover.map((f) => `${f.from} → ${f.to}`).join(', ')} (a Service prefers the same zone, then spreads over every ready endpoint${ctx.multiCluster ? ' of its own cluster' : ''})`);
  if (ctx.multiCluster) out.push("failover to another cluster (a Service's endpoints are its own cluster's pods: clients whose cluster has none left fail)");
  out.push('region and subzone preference (trafficDistribution: PreferSameZone knows zones only)');
  out.push(`retries (${policy.retries.attempts}, ${policy.retries.perTryTimeout} ms per try) and connect timeout (${policy.connectTimeout} ms): no proxy to retry`);
  return [...out, ...istioOnlyParts(policy).filter((p) => !p.startsWith('retry') && !p.startsWith('consecutive') && !p.startsWith('split'))];
}

export function describeMesh(mesh: Mesh, versions: { istio: string; linkerd: string }, ctx: MeshContext = SINGLE): string {
  if (mesh === 'istio') return `Istio ${versions.istio}`;
  if (mesh === 'linkerd') {
    // The failover extension's mirrors go through each cluster's gateway (kind-review-2 N10); federation is pod-to-pod.
    const across = ctx.multiCluster ? (ctx.linkerdMode === 'federated' ? ', clusters linked pod-to-pod, clients call the federated Service' : ', clusters linked through gateways, the linkerd-failover extension (TrafficSplit) moves traffic to the mirrored Service') : '';
    return `Linkerd ${versions.linkerd}: failure accrual and retries on the Service${across}`;
  }
  return `none: Kubernetes Services with trafficDistribution: ${PREFER_SAME_ZONE}, kube-proxy, no sidecars`;
}
