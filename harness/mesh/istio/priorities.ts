import type { Locality } from '../../core/locality.js';
import type { FailoverPolicy } from '../../core/policy.js';
import type { Endpoint } from '../sidecar.js';

// The endpoints of one client's ClusterLoadAssignment as istiod builds them
// for that client's sidecar: grouped by locality, each group with the Envoy
// priority and weight localityLbSetting gives it. Pure. Mirrors, in istio/istio
// 1.30 (the pinned minor), pilot/pkg/networking/core/loadbalancer/loadbalancer.go
// ApplyLocalityLoadBalancer → applyLocalityWeights (distribute),
// applyFailoverPriorities + applyFailoverPriorityPerLocality (failoverPriority),
// applyLocalityFailover (failover), with util.LbPriority for the base priority.
// Istio applies them only with outlier detection (endpoint_builder.go
// enableFailover); the harness always renders outlier detection.

export interface LocalityGroup {
  locality: Pick<Locality, 'region' | 'zone' | 'subzone'>;
  /** Envoy priority (0 is preferred), compacted to 0..N-1 as istiod does. */
  priority: number;
  /** load_balancing_weight: the endpoint count, or the share `distribute` gives it. */
  weight: number;
  endpoints: Endpoint[];
}

export interface ClientLoadAssignment {
  groups: LocalityGroup[];
  /** Whether istiod turns on locality_weighted_lb_config for the cluster (failover, failoverPriority or distribute set). */
  localityWeighted: boolean;
}

type LbSetting = Pick<FailoverPolicy, 'failover' | 'failoverPriority' | 'distribute'>;

const key = (l: LocalityGroup['locality']) => `${l.region}/${l.zone}/${l.subzone}`;

/** util.LbPriority: 0 same subzone, 1 same zone, 2 same region, 3 elsewhere (exact string comparison). */
export function lbPriority(client: LocalityGroup['locality'], ep: LocalityGroup['locality']): number {
  if (client.region !== ep.region) return 3;
  if (client.zone !== ep.zone) return 2;
  return client.subzone === ep.subzone ? 0 : 1;
}

/** util.LocalityMatch: "region/zone/subzone" with "*" for any; fewer parts match everything below. */
function localityMatch(l: LocalityGroup['locality'], pattern: string): boolean {
  const parts = pattern.split('/');
  const mine = [l.region, l.zone, l.subzone];
  return parts.every((p, i) => p === '*' || p === mine[i]);
}

/** The value of a failoverPriority label for an endpoint or the client. */
function labelValue(label: string, l: Locality): string {
  switch (label) {
    case 'topology.istio.io/cluster':
      return l.cluster;
    case 'topology.kubernetes.io/region':
      return l.region;
    case 'topology.kubernetes.io/zone':
      return l.zone;
    default:
      return l.subzone;
  }
}

/** Renumbers priorities to 0..N-1 keeping their order (istiod compacts after every pass). */
function compact(groups: LocalityGroup[]): LocalityGroup[] {
  const distinct = [...new Set(groups.map((g) => g.priority))].sort((a, b) => a - b);
  return groups.map((g) => ({ ...g, priority: distinct.indexOf(g.priority) }));
}

export function clientLoadAssignment(client: Locality, endpoints: readonly Endpoint[], setting: LbSetting): ClientLoadAssignment {
  // One LocalityLbEndpoints per locality (the cluster name is not part of an Envoy locality), weight = endpoint count.
  const byLocality = new Map<string, LocalityGroup>();
  for (const e of endpoints) {
    const locality = { region: e.locality.region, zone: e.locality.zone, subzone: e.locality.subzone };
    const g = byLocality.get(key(locality)) ?? { locality, priority: 0, weight: 0, endpoints: [] };
    g.endpoints.push(e);
    g.weight++;
    byLocality.set(key(locality), g);
  }
  let groups = [...byLocality.values()];

  if (setting.distribute.length > 0) {
    // applyLocalityWeights: the first rule whose `from` matches the client; localities no `to` names get no endpoints.
    const rule = setting.distribute.find((d) => localityMatch(client, d.from));
    if (rule) {
      const weights = new Map<LocalityGroup, number>();
      for (const [pattern, share] of Object.entries(rule.to)) {
        const matching = groups.filter((g) => localityMatch(g.locality, pattern));
        const total = matching.reduce((n, g) => n + g.weight, 0);
        for (const g of matching) if (!weights.has(g)) weights.set(g, Math.ceil((g.weight * share) / total));
      }
      groups = groups.map((g) => (weights.has(g) ? { ...g, weight: weights.get(g)! } : { ...g, weight: 0, endpoints: [] }));
    }
    return { groups, localityWeighted: true };
  }

  if (setting.failoverPriority.length > 0) {
    // applyFailoverPriorities: per endpoint, n - j at the first label j whose value differs from the client's (0 if none).
    const labels = setting.failoverPriority.map((l) => {
      const [name, override] = l.split('=');
      return { name: name!, clientValue: override ?? labelValue(name!, client) };
    });
    const split: LocalityGroup[] = [];
    for (const g of groups) {
      const byPriority = new Map<number, Endpoint[]>();
      for (const e of g.endpoints) {
        const j = labels.findIndex((l) => labelValue(l.name, e.locality) !== l.clientValue);
        const p = j < 0 ? 0 : labels.length - j;
        byPriority.set(p, [...(byPriority.get(p) ?? []), e]);
      }
      for (const [priority, eps] of byPriority) split.push({ ...g, priority, weight: eps.length, endpoints: eps });
    }
    groups = compact(split);
  }
  if (setting.failover.length > 0 || setting.failoverPriority.length === 0) {
    // applyLocalityFailover: the base priority, 3 → 4 for regions the client's first matching rule does not name.
    const rule = setting.failover.find((f) => f.from === client.region);
    groups = compact(
      groups.map((g) => {
        let p = lbPriority(client, g.locality);
        if (p === 3 && rule && g.locality.region !== rule.to) p = 4;
        return { ...g, priority: g.priority * 5 + p };
      }),
    );
  }
  return { groups, localityWeighted: setting.failover.length > 0 || setting.failoverPriority.length > 0 };
}
