import type { Locality } from '../../core/locality.js';
import type { Topology } from '../../core/topology.js';

// Where everything listens. Pure: the caller supplies the subnet (netns mode)
// or a free-port allocator (process mode).

export type Isolation = 'netns' | 'process';

export interface NodePlan {
  name: string;
  locality: Locality;
  /** netns mode only. */
  netns?: string;
  hostVeth?: string;
  nsVeth?: string;
  /** The node's address: its veth address in netns mode, 127.0.0.1 in process mode. */
  ip: string;
}

export interface InstancePlan {
  instance: string;
  node: string;
  locality: Locality;
  host: string;
  port: number;
  adminPort: number;
  /** A server-side Envoy in front of the echo (drain-listeners in sidecar mode): where clients reach the instance, and its admin API. */
  inbound?: { port: number; adminPort: number };
}

export interface ClientPlan {
  client: string;
  node: string;
  locality: Locality;
  listen: { host: string; port: number };
  admin: { host: string; port: number };
}

export interface MemberPlan {
  name: string;
  node: string;
  locality: Locality;
  host: string;
  clientPort: number;
  peerPort: number;
}

export interface AddressPlan {
  isolation: Isolation;
  /** netns mode: the run's bridge and its address (prefix length 24). */
  bridge?: { name: string; ip: string; cidr: string };
  nodes: NodePlan[];
  instances: InstancePlan[];
  clients: ClientPlan[];
  members: MemberPlan[];
}

export const INSTANCE_BASE_PORT = 8080;
export const INSTANCE_ADMIN_BASE_PORT = 9080;
export const SIDECAR_PORT = 15001;
export const SIDECAR_ADMIN_PORT = 15021;
/** netns mode: instance j's server-side sidecar listens on INBOUND_BASE_PORT + j, its admin on INBOUND_ADMIN_BASE_PORT + j. */
export const INBOUND_BASE_PORT = 15100;
export const INBOUND_ADMIN_BASE_PORT = 15200;
export const ETCD_CLIENT_PORT = 2379;

/** netns mode: node i gets 198.18.<subnet>.<10+i>; ports repeat per namespace. */
export function planNetns(topology: Topology, runId: string, subnet: number, inbound: ReadonlySet<string> = new Set()): AddressPlan {
  if (topology.nodes.length > 240) throw new Error('at most 240 nodes fit one run subnet');
  const prefix = `198.18.${subnet}`;
  const nodes: NodePlan[] = topology.nodes.map((n, i) => ({
    name: n.name,
    locality: n.locality,
    netns: `fh-${runId}-${n.name}`,
    hostVeth: `fh${runId}h${i}`,
    nsVeth: `fh${runId}n${i}`,
    ip: `${prefix}.${10 + i}`,
  }));
  const ipOf = new Map(nodes.map((n) => [n.name, n.ip]));
  return {
    isolation: 'netns',
    bridge: { name: `fhb${runId}`, ip: `${prefix}.1`, cidr: `${prefix}.0/24` },
    nodes,
    instances: topology.nodes.flatMap((n) =>
      n.instances.map((instance, j) => ({
        instance,
        node: n.name,
        locality: n.locality,
        host: ipOf.get(n.name)!,
        port: INSTANCE_BASE_PORT + j,
        adminPort: INSTANCE_ADMIN_BASE_PORT + j,
        ...(inbound.has(instance) ? { inbound: { port: INBOUND_BASE_PORT + j, adminPort: INBOUND_ADMIN_BASE_PORT + j } } : {}),
      })),
    ),
    clients: topology.clients.map((n) => ({
      client: n.name,
      node: n.name,
      locality: n.locality,
      listen: { host: '127.0.0.1', port: SIDECAR_PORT },
      admin: { host: ipOf.get(n.name)!, port: SIDECAR_ADMIN_PORT },
    })),
    // Several members on one node get their own port pair.
    members: topology.members.map((m) => {
      const k = topology.members.filter((o) => o.node === m.node).indexOf(m);
      return { name: m.name, node: m.node, locality: m.locality, host: ipOf.get(m.node)!, clientPort: ETCD_CLIENT_PORT + 2 * k, peerPort: ETCD_CLIENT_PORT + 1 + 2 * k };
    }),
  };
}

/** process mode: everything on 127.0.0.1, each listener on its own port. */
export function planProcess(topology: Topology, allocatePort: () => number, inbound: ReadonlySet<string> = new Set()): AddressPlan {
  return {
    isolation: 'process',
    nodes: topology.nodes.map((n) => ({ name: n.name, locality: n.locality, ip: '127.0.0.1' })),
    instances: topology.nodes.flatMap((n) =>
      n.instances.map((instance) => ({ instance, node: n.name, locality: n.locality, host: '127.0.0.1', port: allocatePort(), adminPort: allocatePort(), ...(inbound.has(instance) ? { inbound: { port: allocatePort(), adminPort: allocatePort() } } : {}) })),
    ),
    clients: topology.clients.map((n) => ({
      client: n.name,
      node: n.name,
      locality: n.locality,
      listen: { host: '127.0.0.1', port: allocatePort() },
      admin: { host: '127.0.0.1', port: allocatePort() },
    })),
    members: topology.members.map((m) => ({ name: m.name, node: m.node, locality: m.locality, host: '127.0.0.1', clientPort: allocatePort(), peerPort: allocatePort() })),
  };
}

/** Where a client reaches an instance: its server-side sidecar when it has one, else the echo itself. */
export function endpointOf(i: InstancePlan): { instance: string; locality: Locality; host: string; port: number } {
  return { instance: i.instance, locality: i.locality, host: i.host, port: i.inbound?.port ?? i.port };
}
