// Node and pod labels the harness sets and selects on, in any cluster.

export const LABEL_REGION = 'topology.kubernetes.io/region';
export const LABEL_ZONE = 'topology.kubernetes.io/zone';
export const LABEL_SUBZONE = 'topology.istio.io/subzone';
/** The topology node a Kubernetes node stands for (workloads are pinned with it). */
export const LABEL_NODE = 'failover-harness.io/node';
/** The topology instance an echo pod stands for: what an instance-targeted fault selects on. */
export const LABEL_INSTANCE = 'failover-harness.io/instance';
export const LABEL_HASH = 'failover-harness.io/config-hash';
/** The node that carries the cluster's infrastructure (istiod, CoreDNS, MetalLB, gateways); no fault touches it. */
export const LABEL_INFRA = 'failover-harness.io/infra';

/** The label selector of the echo pods standing for these topology instances. */
export function instanceSelector(instances: readonly string[]): string {
  return `app=echo,${LABEL_INSTANCE} in (${instances.join(',')})`;
}

/** kubectl jsonpath: each pod's name and the instance it stands for, one pod a line. */
export const POD_AND_INSTANCE = '{range .items[*]}{.metadata.name}{" "}{.metadata.labels.failover-harness\\.io/instance}{"\\n"}{end}';
