import type { TopologyInput } from '../harness/index.js';

/** Three zones, each a node of 2 echo instances that serve `rps` req/s apiece, and a client. */
export function capacityTopology(rps: number): TopologyInput {
  const zone = (letter: string) => ({
    name: `zone-${letter}`,
    nodes: [
      { name: `svc-${letter}`, instances: 2, capacity: rps },
      { name: `client-${letter}`, client: true },
    ],
  });
  return { clusters: [{ name: 'c1', regions: [{ name: 'eu-west-1', zones: [zone('a'), zone('b'), zone('c')] }] }] };
}
