import type { Locality } from '../../core/locality.js';
import type { FailoverPolicy } from '../../core/policy.js';
import type { Endpoint } from '../sidecar.js';
import { outboundClusterName, renderCluster } from './envoy-cluster.js';
import { renderRoute } from './envoy-route.js';
import { clientLoadAssignment } from './priorities.js';

// A sidecar's whole Envoy configuration as one bootstrap: the listener, route
// and cluster istiod would push over xDS, written statically, with the
// endpoints left dynamic (an EDS file the harness's modelled control plane
// rewrites as Kubernetes + istiod would). Pure. The listener, route and cluster
// come from envoy-route.ts and envoy-cluster.ts; this file only assembles them.

/** The echo service as the kind provider names it: the cluster name a reader of /stats recognises from Istio. */
export const ECHO_HOST = 'echo.failover-harness.svc.cluster.local';
export const ECHO_PORT = 80;

const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const ROUTER = 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router';

function httpListener(name: string, direction: 'OUTBOUND' | 'INBOUND', listen: { host: string; port: number }, route: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    traffic_direction: direction,
    address: { socket_address: { address: listen.host, port_value: listen.port } },
    filter_chains: [
      {
        filters: [
          {
            name: 'envoy.filters.network.http_connection_manager',
            typed_config: {
              '@type': HCM,
              stat_prefix: name,
              // istiod's listener builder: no stream idle timeout.
              stream_idle_timeout: '0s',
              route_config: { name, virtual_hosts: [{ name: `${ECHO_HOST}:${ECHO_PORT}`, domains: ['*'], routes: [route] }] },
              http_filters: [{ name: 'envoy.filters.http.router', typed_config: { '@type': ROUTER } }],
            },
          },
        ],
      },
    ],
  };
}

export interface OutboundSidecarInput {
  client: string;
  clientLocality: Locality;
  endpoints: readonly Endpoint[];
  policy: FailoverPolicy;
  /** Where the client's traffic enters the sidecar, and the admin API (readiness, /clusters, /stats). */
  listen: { host: string; port: number };
  admin: { host: string; port: number };
  edsPath: string;
  edsDir: string;
}

/** A client's sidecar: outbound listener → route (retries, timeout) → EDS cluster (outlier detection, priorities). */
export function renderOutboundSidecar(s: OutboundSidecarInput): Record<string, unknown> {
  const cluster = outboundClusterName(ECHO_HOST, ECHO_PORT);
  // Whether istiod turns on locality weighting does not depend on which endpoints are ready.
  const { localityWeighted } = clientLoadAssignment(s.clientLocality, s.endpoints, s.policy);
  return {
    node: { id: `sidecar~${s.listen.host}~${s.client}.failover-harness~failover-harness.svc.cluster.local`, cluster: s.client, locality: { region: s.clientLocality.region, zone: s.clientLocality.zone, sub_zone: s.clientLocality.subzone } },
    admin: { address: { socket_address: { address: s.admin.host, port_value: s.admin.port } } },
    static_resources: {
      listeners: [httpListener(`outbound_${ECHO_PORT}`, 'OUTBOUND', s.listen, renderRoute(cluster, s.policy))],
      clusters: [renderCluster({ name: cluster, policy: s.policy, edsPath: s.edsPath, edsDir: s.edsDir, localityWeighted })],
    },
  };
}

export interface InboundSidecarInput {
  instance: string;
  /** Where the instance's traffic now enters (its endpoint), and the echo process behind it. */
  listen: { host: string; port: number };
  app: { host: string; port: number };
  admin: { host: string; port: number };
}

/** An instance's server-side sidecar: inbound listener → the local echo (what `drain_listeners?inboundonly` closes). */
export function renderInboundSidecar(s: InboundSidecarInput): Record<string, unknown> {
  const cluster = `inbound|${ECHO_PORT}||`;
  return {
    node: { id: `sidecar~${s.listen.host}~${s.instance}.failover-harness~failover-harness.svc.cluster.local`, cluster: s.instance },
    admin: { address: { socket_address: { address: s.admin.host, port_value: s.admin.port } } },
    static_resources: {
      listeners: [httpListener(`inbound_${s.listen.port}`, 'INBOUND', s.listen, { name: 'default', match: { prefix: '/' }, route: { cluster, timeout: '0s' } })],
      clusters: [
        {
          name: cluster,
          type: 'STATIC',
          connect_timeout: '10s',
          load_assignment: { cluster_name: cluster, endpoints: [{ lb_endpoints: [{ endpoint: { address: { socket_address: { address: s.app.host, port_value: s.app.port } } } }] }] },
        },
      ],
    },
  };
}
