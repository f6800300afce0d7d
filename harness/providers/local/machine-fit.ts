import type { Topology } from '../../core/topology.js';

// Whether a topology fits this machine, decided before anything starts: every
// instance and every client driver is a Node.js process, every client a
// Envoy, every member an etcd. Too many for the cores and they do not all
// become ready within the readiness limit (the run would fail after it, with
// a timeout that names nothing); too many for the memory and the kernel kills
// some. Pure: the caller passes the machine's figures.

/** CPU seconds a Node.js process of the harness (tsx) takes to start and listen; measured on a 2-vCPU VM. */
export const START_CPU_SECONDS = 0.6;
/** Resident memory per process, with margin: Node.js + tsx ≈ 70 MB, Envoy ≈ 60 MB (measured: 58–60 MB), etcd ≈ 40 MB. */
const MB = 1024 * 1024;
const NODE_RSS = 90 * MB;
const ENVOY_RSS = 70 * MB;
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
  const needed = nodeProcesses * NODE_RSS + t.clients.length * ENVOY_RSS + t.members.length * ETCD_RSS;
  if (needed > m.memAvailable * 0.6) {
    return `the topology needs about ${Math.round(needed / MB)} MiB (${nodeProcesses} Node.js processes, ${t.clients.length} Envoy, ${t.members.length} etcd) and this machine has ${Math.round(m.memAvailable / MB)} MiB available: at most 60% of it is used`;
  }
  return null;
}

/**
 * Requests per second, all clients together, that one core of this machine
 * drives end to end (driver, sidecar and echo instance each take a share of
 * every request). Derived from npm run bench:driver on the project's 2-core VM:
 * the driver alone holds 10k req/s spinning a core, and the sidecar and the
 * echo instance each cost about as much again per request.
 */
export const DRIVEN_RPS_PER_CORE = 5000;
/** Records a run may hold in memory for its analysis (about 340 bytes each as objects). */
export const MAX_RUN_RECORDS = 5_000_000;

export interface TrafficFit {
  /** Requests per second asked for, all clients together, and what this machine drives. */
  requestedRps: number;
  drivableRps: number;
  /** Why this machine cannot drive the run (too many requests), or null. */
  refusal: string | null;
  /** Why the traffic cannot measure a phase at all (too few requests in it: bad input), or null. */
  tooFew: string | null;
  /** Something the run will measure poorly, said before it starts. */
  warnings: string[];
}

/** Whether the traffic asked for can be driven and measured on this machine, decided before anything starts. Pure. */
export function trafficFit(ex: { traffic: { rate: number }; phases: { baseline: number; fault: number; recovery: number }; topology: { clients: readonly unknown[] } }, cores: number): TrafficFit {
  const clients = ex.topology.clients.length;
  const requestedRps = ex.traffic.rate * clients;
  const drivableRps = cores * DRIVEN_RPS_PER_CORE;
  const warnings: string[] = [];
  let refusal: string | null = null;
  let tooFew: string | null = null;
  const totalMs = ex.phases.baseline + ex.phases.fault + ex.phases.recovery;
  const records = Math.ceil((requestedRps * totalMs) / 1000);
  if (requestedRps > drivableRps) {
    refusal = `${clients} client${clients === 1 ? '' : 's'} × ${ex.traffic.rate} req/s = ${requestedRps} req/s, and this machine drives about ${drivableRps} req/s end to end (${cores} core${cores === 1 ? '' : 's'} × ${DRIVEN_RPS_PER_CORE}): the drivers would fall behind and the run would measure their overload, not the mesh`;
  } else if (records > MAX_RUN_RECORDS) {
    refusal = `the run would record about ${records} requests (${requestedRps} req/s for ${totalMs / 1000} s) and the harness analyses at most ${MAX_RUN_RECORDS} in one run`;
  }
  for (const phase of ['baseline', 'fault', 'recovery'] as const) {
    const expected = (ex.traffic.rate * ex.phases[phase]) / 1000;
    if (expected < 1) {
      tooFew ??= `${ex.traffic.rate} req/s per client sends about ${expected.toFixed(2)} requests in the ${ex.phases[phase] / 1000} s ${phase} phase: nothing there could be measured`;
    } else if (expected < 10) {
      warnings.push(`${ex.traffic.rate} req/s per client sends about ${Math.round(expected)} requests in the ${phase} phase: its time figures are no finer than ${Math.round(1000 / ex.traffic.rate)} ms`);
    }
  }
  return { requestedRps, drivableRps, refusal, tooFew, warnings };
}
