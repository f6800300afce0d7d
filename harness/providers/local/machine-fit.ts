import type { Topology } from '../../core/topology.js';

// Whether a topology fits this machine, decided before anything starts: every
// instance and every client driver is a Node.js process, every client a
// HAProxy, every member an etcd. Too many for the cores and they do not all
// become ready within the readiness limit (the run would fail after it, with
// a timeout that names nothing); too many for the memory and the kernel kills
// some. Pure: the caller passes the machine's figures.

/** CPU seconds a Node.js process of the harness (tsx) takes to start and listen; measured on a 2-vCPU VM. */
export const START_CPU_SECONDS = 0.6;
/** Resident memory per process, with margin: Node.js + tsx ≈ 70 MB, HAProxy ≈ 10 MB, etcd ≈ 40 MB. */
const MB = 1024 * 1024;
const NODE_RSS = 90 * MB;
const HAPROXY_RSS = 15 * MB;
const ETCD_RSS = 60 * MB;

export interface Machine {
  cores: number;
  /** MemAvailable, bytes. */
  memAvailable: number;
}

export function machineFit(t: Pick<Topology, 'instances' | 'clients' | 'members'>, m: Machine, readyTimeoutMs: number): string | null {
  const nodeProcesses = t.instances.length + t.clients.length;
  // Half the readiness window's CPU for starting processes: the rest is for everything else the machine does meanwhile.
  const maxNode = Math.max(4, Math.floor((m.cores * (readyTimeoutMs / 1000) * 0.5) / START_CPU_SECONDS));
  if (nodeProcesses > maxNode) {
    return `${nodeProcesses} Node.js processes (${t.instances.length} instances + ${t.clients.length} client drivers) cannot all start on ${m.cores} core${m.cores === 1 ? '' : 's'} within the ${readyTimeoutMs / 1000} s readiness limit: at most ${maxNode} here (each takes about ${START_CPU_SECONDS} CPU-seconds to start)`;
  }
  const needed = nodeProcesses * NODE_RSS + t.clients.length * HAPROXY_RSS + t.members.length * ETCD_RSS;
  if (needed > m.memAvailable * 0.6) {
    return `the topology needs about ${Math.round(needed / MB)} MiB (${nodeProcesses} Node.js processes, ${t.clients.length} HAProxy, ${t.members.length} etcd) and this machine has ${Math.round(m.memAvailable / MB)} MiB available: at most 60% of it is used`;
  }
  return null;
}
