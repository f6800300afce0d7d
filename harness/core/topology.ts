import { z } from 'zod';
import type { Locality } from './locality.js';
import { nameSchema } from './names.js';

// clusters → regions → zones → (subzones →) nodes. A node hosts service
// instances, a client, or both. Flattened into nodes/instances/clients for use.

const nodeSchema = z
  .object({
    name: nameSchema,
    instances: z.number().int().min(0).max(20).default(0),
    client: z.boolean().default(false),
    /** Requests per second each instance of the node can serve; above it the echo sheds (503) or, with overflow: queue, answers late. */
    capacity: z.number().positive('must be a positive number of requests per second').max(100_000).optional(),
    overflow: z.enum(['shed', 'queue']).optional(),
  })
  .strict()
  .refine((n) => n.overflow === undefined || n.capacity !== undefined, { message: '`overflow` needs a `capacity`', path: ['overflow'] });

const subzoneSchema = z.object({ name: nameSchema, nodes: z.array(nodeSchema).min(1) }).strict();

const zoneSchema = z
  .object({
    name: nameSchema,
    subzones: z.array(subzoneSchema).min(1).optional(),
    nodes: z.array(nodeSchema).min(1).optional(),
  })
  .strict()
  .refine((zone) => (zone.subzones === undefined) !== (zone.nodes === undefined), {
    message: 'a zone lists either `subzones` or `nodes`, exactly one of them',
  });

const regionSchema = z.object({ name: nameSchema, zones: z.array(zoneSchema).min(1) }).strict();

/** The cluster's control plane: etcd members, each placed on a node of the cluster. */
const controlPlaneSchema = z
  .object({
    members: z
      .array(z.object({ name: nameSchema, node: nameSchema }).strict())
      .min(1, 'a control plane needs at least one member')
      .refine((m) => m.length % 2 === 1, { message: 'use an odd number of etcd members (1, 3, 5, 7): an even count tolerates no more failures than one member fewer' }),
  })
  .strict();

const clusterSchema = z.object({ name: nameSchema, regions: z.array(regionSchema).min(1), controlPlane: controlPlaneSchema.optional() }).strict();

export const topologySchema = z
  .object({ clusters: z.array(clusterSchema).min(1) })
  .strict()
  .superRefine((topology, ctx) => {
    const seenMembers = new Set<string>();
    topology.clusters.forEach((cluster, ci) => {
      const nodes = new Set(cluster.regions.flatMap((r) => r.zones.flatMap((z) => (z.subzones ?? [{ nodes: z.nodes ?? [] }]).flatMap((s) => s.nodes.map((n) => n.name)))));
      cluster.controlPlane?.members.forEach((member, mi) => {
        if (!nodes.has(member.node)) {
          ctx.addIssue({ code: 'custom', path: ['clusters', ci, 'controlPlane', 'members', mi, 'node'], message: `unknown node "${member.node}" in cluster ${cluster.name}` });
        }
        if (seenMembers.has(member.name)) {
          ctx.addIssue({ code: 'custom', path: ['clusters', ci, 'controlPlane', 'members', mi, 'name'], message: `duplicate member name "${member.name}"` });
        }
        seenMembers.add(member.name);
      });
    });
    // Two localities with one name inside the same parent would merge silently (a zone outage would take both).
    const seenClusters = new Set<string>();
    topology.clusters.forEach((cluster, ci) => {
      if (seenClusters.has(cluster.name)) ctx.addIssue({ code: 'custom', path: ['clusters', ci, 'name'], message: `duplicate cluster name "${cluster.name}"` });
      seenClusters.add(cluster.name);
      const regions = new Set<string>();
      cluster.regions.forEach((region, ri) => {
        if (regions.has(region.name)) ctx.addIssue({ code: 'custom', path: ['clusters', ci, 'regions', ri, 'name'], message: `region "${region.name}" appears twice in cluster ${cluster.name}: merge them into one` });
        regions.add(region.name);
        const zones = new Set<string>();
        region.zones.forEach((zone, zi) => {
          if (zones.has(zone.name)) ctx.addIssue({ code: 'custom', path: ['clusters', ci, 'regions', ri, 'zones', zi, 'name'], message: `zone "${zone.name}" appears twice in region ${region.name}: merge them, or rename one` });
          zones.add(zone.name);
          const subzones = new Set<string>();
          zone.subzones?.forEach((sub, si) => {
            if (subzones.has(sub.name)) ctx.addIssue({ code: 'custom', path: ['clusters', ci, 'regions', ri, 'zones', zi, 'subzones', si, 'name'], message: `subzone "${sub.name}" appears twice in zone ${region.name}/${zone.name}: merge them, or rename one` });
            subzones.add(sub.name);
          });
        });
      });
    });
    const seenNodes = new Map<string, string>();
    const seenInstances = new Set<string>();
    topology.clusters.forEach((cluster, ci) => {
      cluster.regions.forEach((region, ri) => {
        region.zones.forEach((zone, zi) => {
          const groups = zone.subzones ?? [{ name: '', nodes: zone.nodes ?? [] }];
          groups.forEach((group, si) => {
            group.nodes.forEach((node, ni) => {
              const path = zone.subzones
                ? ['clusters', ci, 'regions', ri, 'zones', zi, 'subzones', si, 'nodes', ni, 'name']
                : ['clusters', ci, 'regions', ri, 'zones', zi, 'nodes', ni, 'name'];
              const where = `${cluster.name}/${region.name}/${zone.name}`;
              const previous = seenNodes.get(node.name);
              if (previous !== undefined) {
                ctx.addIssue({ code: 'custom', path, message: `duplicate node name "${node.name}" (also in ${previous})` });
              }
              seenNodes.set(node.name, where);
              for (let i = 1; i <= node.instances; i++) {
                const instance = instanceName(node.name, i);
                if (seenInstances.has(instance)) {
                  ctx.addIssue({ code: 'custom', path, message: `instance name "${instance}" is generated twice; rename the node` });
                }
                seenInstances.add(instance);
              }
            });
          });
        });
      });
    });
  });

export type TopologyInput = z.input<typeof topologySchema>;
type TopologyParsed = z.output<typeof topologySchema>;

export interface Capacity {
  /** Requests per second one instance serves. */
  rps: number;
  overflow: 'shed' | 'queue';
}

export interface TopologyNode {
  name: string;
  locality: Locality;
  instances: string[];
  client: boolean;
  capacity?: Capacity;
}

export interface Instance {
  name: string;
  node: string;
  locality: Locality;
  capacity?: Capacity;
}

export interface ControlPlaneMember {
  name: string;
  node: string;
  locality: Locality;
}

export interface Topology {
  nodes: TopologyNode[];
  /** etcd members of every cluster's control plane. */
  members: ControlPlaneMember[];
  instances: Instance[];
  /** Client names are the names of the nodes that carry a client. */
  clients: TopologyNode[];
  regions: string[];
}

export function instanceName(node: string, index: number): string {
  return `${node}-${index}`;
}

export function flattenTopology(parsed: TopologyParsed): Topology {
  const nodes: TopologyNode[] = [];
  for (const cluster of parsed.clusters) {
    for (const region of cluster.regions) {
      for (const zone of region.zones) {
        const groups = zone.subzones ?? [{ name: '', nodes: zone.nodes ?? [] }];
        for (const group of groups) {
          for (const node of group.nodes) {
            const locality = { cluster: cluster.name, region: region.name, zone: zone.name, subzone: group.name };
            const instances = Array.from({ length: node.instances }, (_, i) => instanceName(node.name, i + 1));
            const capacity = node.capacity !== undefined ? { capacity: { rps: node.capacity, overflow: node.overflow ?? ('shed' as const) } } : {};
            nodes.push({ name: node.name, locality, instances, client: node.client, ...capacity });
          }
        }
      }
    }
  }
  const instances = nodes.flatMap((node) => node.instances.map((name) => ({ name, node: node.name, locality: node.locality, ...(node.capacity ? { capacity: node.capacity } : {}) })));
  const regions = [...new Set(parsed.clusters.flatMap((c) => c.regions.map((r) => r.name)))];
  const localityOf = new Map(nodes.map((n) => [n.name, n.locality]));
  const members = parsed.clusters.flatMap((c) => (c.controlPlane?.members ?? []).map((m) => ({ name: m.name, node: m.node, locality: localityOf.get(m.node)! })));
  return { nodes, instances, members, clients: nodes.filter((n) => n.client), regions };
}
