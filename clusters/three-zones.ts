import type { TopologyInput } from '../harness/index.js';

/**
 * One region (eu-west-1), three zones zone-a/b/c, each with a service node
 * svc-<x> of two instances and a client node client-<x>; `capacity` (req/s per
 * instance) when the instances are capacity-limited.
 */
export function threeZones(o: { capacity?: number } = {}): TopologyInput {
  const zone = (letter: string) => ({
    name: `zone-${letter}`,
    nodes: [
      { name: `svc-${letter}`, instances: 2, ...(o.capacity !== undefined ? { capacity: o.capacity } : {}) },
      { name: `client-${letter}`, client: true },
    ],
  });
  return { clusters: [{ name: 'c1', regions: [{ name: 'eu-west-1', zones: [zone('a'), zone('b'), zone('c')] }] }] };
}
