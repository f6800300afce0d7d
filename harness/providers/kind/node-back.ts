// When a node that a fault took is really back, decided from what the API
// server says now against what it said before the fault (kind-review-2 N1).
// `kubectl wait --for=condition=Ready` returns at once on the stale Ready=True
// a node keeps until the node-monitor grace period (longer than every fault
// phase here), and so do its pods: it cannot tell "back" from "never marked
// gone". A node is back when its kubelet renewed its Lease after the revert
// (it runs again and reaches the API server) and it is Ready; its echo pods are
// back when each is Ready and, after a stop (the node's containers restarted),
// its echo container restarted (or the pod was replaced). Pure.

export interface NodeView {
  node: string;
  /** The kubelet's Lease renewTime (kube-node-lease), epoch ms; null when there is none yet. */
  renewedAtMs: number | null;
  ready: boolean;
}

export interface PodView {
  pod: string;
  uid: string;
  instance: string;
  /** The echo container's restartCount. */
  restarts: number;
  ready: boolean;
}

/** Parses `kubectl get lease -n kube-node-lease -o json` and `kubectl get nodes -o json` into node views. */
export function parseNodeViews(leases: unknown, nodes: unknown): NodeView[] {
  const leaseItems = (leases as { items?: { metadata?: { name?: string }; spec?: { renewTime?: string } }[] }).items ?? [];
  const renewed = new Map(leaseItems.map((l) => [l.metadata?.name ?? '', l.spec?.renewTime ? Date.parse(l.spec.renewTime) : null]));
  const nodeItems = (nodes as { items?: { metadata?: { name?: string }; status?: { conditions?: { type?: string; status?: string }[] } }[] }).items ?? [];
  return nodeItems.map((n) => {
    const node = n.metadata?.name ?? '';
    return { node, renewedAtMs: renewed.get(node) ?? null, ready: n.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false };
  });
}

/** Parses `kubectl get pods -o json` (the echo pods) into pod views. */
export function parsePodViews(pods: unknown, instanceLabel: string): PodView[] {
  const items = (pods as { items?: { metadata?: { name?: string; uid?: string; labels?: Record<string, string> }; status?: { conditions?: { type?: string; status?: string }[]; containerStatuses?: { name?: string; restartCount?: number }[] } }[] }).items ?? [];
  return items.map((p) => ({
    pod: p.metadata?.name ?? '',
    uid: p.metadata?.uid ?? '',
    instance: p.metadata?.labels?.[instanceLabel] ?? '',
    restarts: p.status?.containerStatuses?.find((c) => c.name === 'echo')?.restartCount ?? 0,
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  }));
}

/** Each node renewed its Lease after the revert was issued and is Ready. */
export function nodesBack(now: readonly NodeView[], nodes: readonly string[], revertedAtMs: number): boolean {
  return nodes.every((name) => {
    const n = now.find((x) => x.node === name);
    return n !== undefined && n.ready && n.renewedAtMs !== null && n.renewedAtMs > revertedAtMs;
  });
}

/**
 * Each instance's echo pod is Ready; after a stop, its echo container also
 * restarted since the snapshot taken before the fault (or the pod is a new one).
 */
export function podsBack(before: readonly PodView[], now: readonly PodView[], instances: readonly string[], restarted: boolean): boolean {
  return instances.every((instance) => {
    const pod = now.find((p) => p.instance === instance);
    if (!pod || !pod.ready) return false;
    if (!restarted) return true;
    const old = before.find((p) => p.instance === instance);
    return !old || old.uid !== pod.uid || pod.restarts > old.restarts;
  });
}
