import type { TopologyInput } from '../harness/index.js';

// A region of N zones, each with a service node (instances), a client node and
// a control-plane node; etcd members are placed by `membersIn` (zone letter →
// member count). Zones are named zone-a, zone-b, …; nodes svc-a, client-a, cp-a.

export interface ZonalOptions {
  zones: number;
  instancesPerZone?: number;
  /** How many etcd members sit in each zone, by zone letter; omitted zones have none. */
  membersIn?: Record<string, number>;
  region?: string;
}

export const zoneLetter = (i: number) => String.fromCharCode(97 + i);

export function zonalTopology(o: ZonalOptions): TopologyInput {
  const letters = Array.from({ length: o.zones }, (_, i) => zoneLetter(i));
  const members = letters.flatMap((l) => Array.from({ length: o.membersIn?.[l] ?? 0 }, (_, k) => ({ name: `etcd-${l}${k > 0 ? k + 1 : ''}`, node: `cp-${l}` })));
  return {
    clusters: [
      {
        name: 'c1',
        regions: [
          {
            name: o.region ?? 'eu-west-1',
            zones: letters.map((l) => ({
              name: `zone-${l}`,
              nodes: [
                { name: `svc-${l}`, instances: o.instancesPerZone ?? 2 },
                { name: `client-${l}`, client: true },
                ...((o.membersIn?.[l] ?? 0) > 0 ? [{ name: `cp-${l}` }] : []),
              ],
            })),
          },
        ],
        ...(members.length > 0 ? { controlPlane: { members } } : {}),
      },
    ],
  };
}
