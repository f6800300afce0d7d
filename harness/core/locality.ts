// Locality and Istio's locality-failover priorities, shared by the mesh renderers
// (which route by them) and the analysis (which reports where traffic went).

export interface Locality {
  cluster: string;
  region: string;
  zone: string;
  /** Empty when the zone has no subzones. */
  subzone: string;
}

export interface FailoverRule {
  from: string;
  to: string;
}

/**
 * Priority tiers as Istio assigns them for a client in region R, zone Z,
 * subzone S: 0 same subzone, 1 same zone, 2 same region, 3 a region named by a
 * `failover` rule from R, 4 everything else. Lower is preferred.
 */
export type Tier = 0 | 1 | 2 | 3 | 4;
export const TIERS: readonly Tier[] = [0, 1, 2, 3, 4];

export function tierOf(client: Locality, server: Locality, failover: readonly FailoverRule[]): Tier {
  if (client.region === server.region) {
    if (client.zone !== server.zone) return 2;
    return client.subzone === server.subzone ? 0 : 1;
  }
  const isFailoverTarget = failover.some((rule) => rule.from === client.region && rule.to === server.region);
  return isFailoverTarget ? 3 : 4;
}

export function localityKey(l: Locality, depth: 'region' | 'zone' | 'subzone'): string {
  if (depth === 'region') return l.region;
  if (depth === 'zone') return `${l.region}/${l.zone}`;
  return `${l.region}/${l.zone}/${l.subzone}`;
}

export function formatLocality(l: Locality): string {
  return [l.cluster, l.region, l.zone, l.subzone].filter(Boolean).join('/');
}
