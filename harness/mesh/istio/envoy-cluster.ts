import type { FailoverPolicy } from '../../core/policy.js';

// The outbound cluster istiod gives a sidecar for the echo service, from the
// DestinationRule the kind provider renders (objects.ts). Pure. Mirrors, in
// istio/istio 1.30: cluster_builder.go buildCluster/applyDestinationRule,
// cluster_traffic_policy.go applyOutlierDetection, applyLoadBalancer and
// applyConnectionPool, and getDefaultCircuitBreakerThresholds.

const MAX_UINT32 = 4294967295;

/** Envoy duration strings ("0.25s"). */
export const seconds = (ms: number) => `${+(ms / 1000).toFixed(3)}s`;

/** outbound|<port>||<host>: istiod's name for the cluster, which its EDS names too. */
export function outboundClusterName(host: string, port: number): string {
  return `outbound|${port}||${host}`;
}

/** applyOutlierDetection: each DestinationRule field → its Envoy field, and what istiod leaves at Envoy's defaults. */
export function outlierDetection(od: FailoverPolicy['outlierDetection']): Record<string, unknown> {
  return {
    // Success-rate ejection is always off.
    enforcing_success_rate: 0,
    // consecutive5xxErrors (the harness's consecutiveErrors): set, so enforced at 100%.
    consecutive_5xx: od.consecutiveErrors,
    enforcing_consecutive_5xx: 100,
    // consecutiveGatewayErrors: left at Envoy's default (5, not enforced) unless set.
    ...(od.consecutiveGatewayErrors !== undefined ? { consecutive_gateway_failure: od.consecutiveGatewayErrors, enforcing_consecutive_gateway_failure: 100 } : {}),
    interval: seconds(od.interval),
    base_ejection_time: seconds(od.baseEjectionTime),
    // Only written when above 0: 0 leaves Envoy's default of 10%.
    ...(od.maxEjectionPercent > 0 ? { max_ejection_percent: od.maxEjectionPercent } : {}),
    ...(od.splitExternalLocalOriginErrors
      ? {
          split_external_local_origin_errors: true,
          enforcing_local_origin_success_rate: 0,
          ...(od.consecutiveLocalOriginFailures !== undefined ? { consecutive_local_origin_failure: od.consecutiveLocalOriginFailures, enforcing_consecutive_local_origin_failure: 100 } : {}),
        }
      : {}),
  };
}

export interface ClusterInput {
  name: string;
  policy: FailoverPolicy;
  /** The EDS file Envoy watches (the harness's modelled control plane writes it). */
  edsPath: string;
  edsDir: string;
  /** istiod turns locality weighting on with failover, failoverPriority or distribute (priorities.ts). */
  localityWeighted: boolean;
}

export function renderCluster(c: ClusterInput): Record<string, unknown> {
  const od = c.policy.outlierDetection;
  return {
    name: c.name,
    // DelimitedStatsPrefix: istiod's stat names end the cluster part with ";".
    alt_stat_name: `${c.name};`,
    type: 'EDS',
    eds_cluster_config: {
      service_name: c.name,
      // istiod serves this over ADS; the harness serves the same assignment as a file (renamed into place).
      eds_config: { resource_api_version: 'V3', path_config_source: { path: c.edsPath, watched_directory: { path: c.edsDir } } },
    },
    // The DestinationRule's tcp.connectTimeout (the mesh default is 10 s).
    connect_timeout: seconds(c.policy.connectTimeout),
    // loadBalancer.simple: ROUND_ROBIN in the harness's DestinationRule (istiod's default would be LEAST_REQUEST).
    lb_policy: 'ROUND_ROBIN',
    circuit_breakers: { thresholds: [{ priority: 'DEFAULT', max_connections: MAX_UINT32, max_pending_requests: MAX_UINT32, max_requests: MAX_UINT32, max_retries: MAX_UINT32, track_remaining: false }] },
    outlier_detection: outlierDetection(od),
    common_lb_config: {
      // minHealthPercent, or 0 (panic mode off) whenever outlier detection is given without it.
      healthy_panic_threshold: { value: od.minHealthPercent ?? 0 },
      ...(c.localityWeighted ? { locality_weighted_lb_config: {} } : {}),
    },
  };
}
