// Node and pod labels the harness sets and selects on, in any cluster.

export const LABEL_REGION = 'topology.kubernetes.io/region';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_SUBZONE = 'topology.istio.io/subzone';
/** The topology node a Kubernetes node stands for (workloads are pinned with it). */
export const LABEL_NODE = 'failover-harness.io/node';
export const LABEL_HASH = 'failover-harness.io/config-hash';
/** The node that carries the cluster's infrastructure (istiod, CoreDNS, MetalLB, gateways); no fault touches it. */
export const LABEL_INFRA = 'failover-harness.io/infra';
