import { LABEL_INFRA } from './kind-config.js';

// Keeping the cluster's own infrastructure off the nodes faults touch: a
// zone outage that stopped the node running istiod, CoreDNS or MetalLB would
// measure their loss instead of the mesh's failover. Pure.

export const INFRA_NAMESPACES = ['kube-system', 'istio-system', 'metallb-system', 'linkerd', 'linkerd-multicluster', 'linkerd-smi', 'linkerd-failover'] as const;

export const INFRA_SELECTOR = { [LABEL_INFRA]: 'true' };
/** The infra node may be a control-plane node. */
export const INFRA_TOLERATIONS = [{ key: 'node-role.kubernetes.io/control-plane', operator: 'Exists', effect: 'NoSchedule' }];

/** A strategic-merge patch pinning a workload's pods to the infra node. */
export function pinToInfraPatch(): string {
  return JSON.stringify({ spec: { template: { spec: { nodeSelector: INFRA_SELECTOR, tolerations: INFRA_TOLERATIONS } } } });
}

interface PodItem {
  metadata?: { name?: string; namespace?: string; annotations?: Record<string, string>; ownerReferences?: { kind?: string }[] };
  spec?: { nodeName?: string };
  status?: { phase?: string };
}

/**
 * Infrastructure pods on a node other than the infra node, from `kubectl get
 * pods -o json` of the infra namespaces. DaemonSet pods (kube-proxy, kindnet)
 * belong on every node and static pods (the control plane itself: etcd,
 * kube-apiserver) on their own node, so neither counts; nor does a finished
 * pod (a Job's, Succeeded or Failed): it runs nothing a fault could take.
 */
export function misplacedInfra(podList: string, infraNode: string): string[] {
  const parsed = (podList.trim() ? JSON.parse(podList) : { items: [] }) as { items?: PodItem[] };
  return (parsed.items ?? [])
    .filter((p) => (INFRA_NAMESPACES as readonly string[]).includes(p.metadata?.namespace ?? ''))
    .filter((p) => !p.metadata?.ownerReferences?.some((o) => o.kind === 'DaemonSet' || o.kind === 'Node'))
    .filter((p) => !p.metadata?.annotations?.['kubernetes.io/config.mirror'])
    .filter((p) => p.status?.phase !== 'Succeeded' && p.status?.phase !== 'Failed')
    .filter((p) => p.spec?.nodeName && p.spec.nodeName !== infraNode)
    .map((p) => `${p.metadata?.namespace}/${p.metadata?.name} on ${p.spec?.nodeName}`);
}
