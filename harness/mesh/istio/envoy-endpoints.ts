import type { Locality } from '../../core/locality.js';
import type { FailoverPolicy } from '../../core/policy.js';
import type { Endpoint } from '../sidecar.js';
import { clientLoadAssignment } from './priorities.js';

// The ClusterLoadAssignment istiod sends one client's sidecar, as the
// DiscoveryResponse Envoy reads from its EDS file. Pure. Envoy's default
// overprovisioning factor (1.4) applies: istiod sets no `policy`.

const CLA_TYPE = 'type.googleapis.com/envoy.config.endpoint.v3.ClusterLoadAssignment';

export interface EdsInput {
  cluster: string;
  client: Locality;
  /** The endpoints Kubernetes lists as ready now (the modelled control plane decides which). */
  endpoints: readonly Endpoint[];
  policy: FailoverPolicy;
  /** Counts the file's versions (Envoy records it, never checks it). */
  version: number;
}

export function renderEds(input: EdsInput): Record<string, unknown> {
  const { groups } = clientLoadAssignment(input.client, input.endpoints, input.policy);
  return {
    version_info: String(input.version),
    resources: [
      {
        '@type': CLA_TYPE,
        cluster_name: input.cluster,
        endpoints: groups
          .sort((a, b) => a.priority - b.priority)
          .map((g) => ({
            locality: { region: g.locality.region, zone: g.locality.zone, sub_zone: g.locality.subzone },
            priority: g.priority,
            load_balancing_weight: g.weight,
            lb_endpoints: g.endpoints.map((e) => ({ endpoint: { address: { socket_address: { address: e.host, port_value: e.port } } }, load_balancing_weight: 1 })),
          })),
      },
    ],
  };
}
