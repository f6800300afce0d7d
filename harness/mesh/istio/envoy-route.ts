import type { FailoverPolicy } from '../../core/policy.js';
import { seconds } from './envoy-cluster.js';

// The route istiod gives a sidecar for the echo service, from the
// VirtualService (objects.ts). Pure. Mirrors, in istio/istio 1.30,
// pilot/pkg/networking/core/route/retry/retry.go ConvertPolicy and
// parseRetryOn, and route.go setTimeout.

/** ConvertPolicy: none when attempts is 0; otherwise num_retries, retry_on (status codes apart), previous_hosts, 5 host selections. */
export function retryPolicy(r: FailoverPolicy['retries']): Record<string, unknown> | undefined {
  if (r.attempts <= 0) return undefined;
  const tokens = r.retryOn.split(',');
  // A token that is an HTTP status becomes a retriable status code; "retriable-status-codes" is then added.
  const codes = tokens.filter((t) => /^\d{3}$/.test(t)).map(Number);
  const on = tokens.filter((t) => !/^\d{3}$/.test(t));
  if (codes.length > 0 && !on.includes('retriable-status-codes')) on.push('retriable-status-codes');
  return {
    retry_on: on.join(','),
    num_retries: r.attempts,
    per_try_timeout: seconds(r.perTryTimeout),
    ...(codes.length > 0 ? { retriable_status_codes: codes } : {}),
    retry_host_predicate: [{ name: 'envoy.retry_host_predicates.previous_hosts', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.host.previous_hosts.v3.PreviousHostsPredicate' } }],
    host_selection_retry_max_attempts: 5,
    // retryRemoteLocalities: a retry prefers a priority not yet tried (update_frequency 2, as istiod sets it).
    ...(r.retryRemoteLocalities
      ? { retry_priority: { name: 'envoy.retry_priorities.previous_priorities', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.retry.priority.previous_priorities.v3.PreviousPrioritiesConfig', update_frequency: 2 } } }
      : {}),
  };
}

export function renderRoute(cluster: string, policy: FailoverPolicy): Record<string, unknown> {
  const retry = retryPolicy(policy.retries);
  return {
    name: 'default',
    match: { prefix: '/' },
    route: {
      cluster,
      // setTimeout: the VirtualService's timeout, or 0 (no timeout) as istiod's default.
      // (istiod also sets max_grpc_timeout, deprecated in Envoy and without effect on HTTP/1.1: left out.)
      timeout: seconds(policy.timeout ?? 0),
      ...(retry ? { retry_policy: retry } : {}),
    },
  };
}
