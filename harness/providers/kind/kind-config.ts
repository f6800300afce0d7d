import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Locality } from '../../core/locality.js';
import type { Topology } from '../../core/topology.js';

// One kind Cluster config per topology cluster. Pure.
// - a control-plane node per etcd member (kind stacks etcd: one member per
//   control-plane node), labelled with the member's node locality; one when
//   the cluster declares no control plane;
// - a worker per other topology node, labelled with region/zone/subzone
//   (the labels Istio reads) and the topology node name (for pinning pods);
// - distinct pod and service subnets per cluster (multi-cluster needs them);
// - the config hash as a node label, so a matching cluster can be reused.

import { LABEL_HASH, LABEL_INFRA, LABEL_NODE, LABEL_REGION, LABEL_SUBZONE, LABEL_ZONE } from '../kubernetes/labels.js';

export { LABEL_HASH, LABEL_INFRA, LABEL_NODE, LABEL_REGION, LABEL_SUBZONE, LABEL_ZONE };

/** kind.x-k8s.io/v1alpha4, the fields of sigs.k8s.io/kind pkg/apis/config/v1alpha4/types.go we may emit. */
export const kindClusterSchema = z
  .object({
    kind: z.literal('Cluster'),
    apiVersion: z.literal('kind.x-k8s.io/v1alpha4'),
    name: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/).max(50),
    nodes: z
      .array(
        z
          .object({
            role: z.enum(['control-plane', 'worker']),
            image: z.string().optional(),
            labels: z.record(z.string(), z.string()).optional(),
            kubeadmConfigPatches: z.array(z.string()).optional(),
          })
          .strict(),
      )
      .min(1),
    networking: z
      .object({
        ipFamily: z.enum(['ipv4', 'ipv6', 'dual']).optional(),
        apiServerAddress: z.string().optional(),
        apiServerPort: z.number().int().optional(),
        podSubnet: z.string().optional(),
        serviceSubnet: z.string().optional(),
        disableDefaultCNI: z.boolean().optional(),
        kubeProxyMode: z.enum(['iptables', 'ipvs', 'nftables', 'none']).optional(),
      })
      .strict()
      .optional(),
    kubeadmConfigPatches: z.array(z.string()).optional(),
  })
  .strict()
  .refine((c) => c.nodes.some((n) => n.role === 'control-plane'), { message: 'a kind cluster needs a control-plane node' });

export type KindCluster = z.output<typeof kindClusterSchema>;

export interface KindNodeMapping {
  /** Topology node (or etcd member) → the kind node (container) name kind will give it. */
  containerOf: Record<string, string>;
  role: Record<string, 'control-plane' | 'worker'>;
  /**
   * The kind node that carries infrastructure: the control-plane node when the
   * topology puts no etcd member in this cluster (no fault can reach it), else
   * an extra worker that belongs to no locality.
   */
  infraNode: string;
}

/** The kubeconfig context kind writes for a cluster. */
export const kubeContext = (c: { name: string }): string => `kind-${c.name}`;

export interface RenderedCluster {
  /** Topology cluster name. */
  cluster: string;
  /** kind cluster name (fh-<cluster>). */
  name: string;
  config: KindCluster;
  hash: string;
  mapping: KindNodeMapping;
}

function labels(l: Locality, node: string): Record<string, string> {
  return { [LABEL_REGION]: l.region, [LABEL_ZONE]: l.zone, ...(l.subzone ? { [LABEL_SUBZONE]: l.subzone } : {}), [LABEL_NODE]: node };
}

/** kind names nodes by role in order: <c>-control-plane, <c>-control-plane2, …, <c>-worker, <c>-worker2, … */
export function kindNodeName(cluster: string, role: 'control-plane' | 'worker', index: number): string {
  return `${cluster}-${role}${index > 0 ? index + 1 : ''}`;
}

/**
 * The node-monitor grace period of the kind clusters the harness makes, in
 * seconds. The default is 40–50 s; a shorter one lets Kubernetes notice a dead
 * zone within an experiment's fault phase. Experiments quote it when they say
 * what a plain-Kubernetes or Linkerd data plane cannot do before it ends.
 */
export const NODE_MONITOR_GRACE_S = 20;
const CONTROLLER_PATCH = `kind: ClusterConfiguration\ncontrollerManager:\n  extraArgs:\n    node-monitor-grace-period: "${NODE_MONITOR_GRACE_S}s"\n`;

/**
 * `meshIdentity`: the data plane a cluster is made for (mesh, version, mode).
 * It is part of the config hash, so a kept cluster is reused only by a run of
 * the same mesh; another mesh finds the hash different and the cluster is
 * recreated, never measured with the old mesh still in it (kind-review-2 N3).
 */
export function renderKindClusters(topology: Topology, nodeImage?: string, meshIdentity = ''): RenderedCluster[] {
  const clusters = [...new Set(topology.nodes.map((n) => n.locality.cluster))];
  return clusters.map((cluster, ci) => {
    const name = `fh-${cluster}`;
    const members = topology.members.filter((m) => m.locality.cluster === cluster);
    const memberNodes = new Set(members.map((m) => m.node));
    const nodes = topology.nodes.filter((n) => n.locality.cluster === cluster);
    const containerOf: Record<string, string> = {};
    const role: Record<string, 'control-plane' | 'worker'> = {};
    const configNodes: KindCluster['nodes'] = [];
    const image = nodeImage ? { image: nodeImage } : {};
    const infra = { [LABEL_INFRA]: 'true' };
    let infraNode = kindNodeName(name, 'control-plane', 0);
    if (members.length === 0) configNodes.push({ role: 'control-plane', ...image, labels: { ...infra } });
    members.forEach((m, i) => {
      configNodes.push({ role: 'control-plane', ...image, labels: labels(m.locality, m.node) });
      containerOf[m.name] = kindNodeName(name, 'control-plane', i);
      role[m.name] = 'control-plane';
    });
    // A topology node that hosts a member is that member's control-plane node.
    for (const m of members) {
      containerOf[m.node] ??= containerOf[m.name]!;
      role[m.node] = 'control-plane';
    }
    nodes
      .filter((n) => !memberNodes.has(n.name))
      .forEach((n, i) => {
        configNodes.push({ role: 'worker', ...image, labels: labels(n.locality, n.name) });
        containerOf[n.name] = kindNodeName(name, 'worker', i);
        role[n.name] = 'worker';
      });
    if (members.length > 0) {
      // Every control-plane node carries a member a fault may take: infrastructure gets a worker of its own.
      infraNode = kindNodeName(name, 'worker', configNodes.length - members.length);
      configNodes.push({ role: 'worker', ...image, labels: { ...infra } });
    }
    const config: KindCluster = {
      kind: 'Cluster',
      apiVersion: 'kind.x-k8s.io/v1alpha4',
      name,
      nodes: configNodes,
      networking: { podSubnet: `10.${10 + ci}.0.0/16`, serviceSubnet: `10.255.${10 + ci}.0/24` },
      kubeadmConfigPatches: [CONTROLLER_PATCH],
    };
    const hash = createHash('sha256').update(JSON.stringify(config)).update(meshIdentity ? `\nmesh ${meshIdentity}` : '').digest('hex').slice(0, 12);
    for (const n of config.nodes) if (n.labels) n.labels[LABEL_HASH] = hash;
    return { cluster, name, config: kindClusterSchema.parse(config), hash, mapping: { containerOf, role, infraNode } };
  });
}
