import { tierOf, TIERS, type Locality, type Tier } from '../core/locality.js';
import type { FailoverPolicy } from '../core/policy.js';

// The client's view of the service: every endpoint with the priority tier it
// has for this client. Shared by all mesh renderers.

export interface Endpoint {
  instance: string;
  locality: Locality;
  host: string;
  port: number;
}

export interface TieredEndpoints {
  tier: Tier;
  endpoints: Endpoint[];
}

/** Non-empty tiers in preference order. */
export function tiersFor(client: Locality, endpoints: readonly Endpoint[], policy: FailoverPolicy): TieredEndpoints[] {
  return TIERS.map((tier) => ({ tier, endpoints: endpoints.filter((e) => tierOf(client, e.locality, policy.failover) === tier) })).filter(
    (t) => t.endpoints.length > 0,
  );
}

/** Envoy's default overprovisioning factor, in percent. */
export const OVERPROVISIONING_PERCENT = 140;
