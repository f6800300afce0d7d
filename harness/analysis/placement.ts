import { matchesSelector } from '../core/experiment.js';
import { faultSelector, type FaultSpec } from '../core/fault-spec.js';
import { localityKey } from '../core/locality.js';
import type { Topology } from '../core/topology.js';
import type { Placement, PlacementFinding } from '../core/journal.js';

export type { Placement, PlacementFinding };

// Before a fault is injected: can it break quorum, and what capacity overhead
// does spreading over zones cost? Pure arithmetic on the topology.

function membersLostBy(fault: FaultSpec, topology: Topology): { count: number; names: string[] } {
  const n = topology.members.length;
  if (fault.kind === 'etcd-member-loss') {
    if (Array.isArray(fault.which)) return { count: fault.which.length, names: fault.which };
    const count = fault.count === 'all' ? n : fault.count;
    return { count, names: [] };
  }
  if (fault.kind === 'zone-outage' || fault.kind === 'region-outage') {
    const selector = faultSelector(fault);
    const names = topology.members.filter((m) => matchesSelector(m, selector)).map((m) => m.name);
    return { count: names.length, names };
  }
  return { count: 0, names: [] };
}

export function placementCheck(topology: Topology, faults: readonly FaultSpec[]): Placement {
  const n = topology.members.length;
  const quorum = Math.floor(n / 2) + 1;
  const membersByZone: Record<string, string[]> = {};
  for (const m of topology.members) (membersByZone[localityKey(m.locality, 'zone')] ??= []).push(m.name);
  const serviceZones = new Set(topology.instances.map((i) => localityKey(i.locality, 'zone'))).size;
  const lostZones = new Set<string>();
  let lostTogether = 0;
  const findings: PlacementFinding[] = [];
  for (const fault of faults) {
    if (fault.kind === 'zone-outage') lostZones.add(`${fault.region ?? '*'}/${fault.zone}`);
    if (n === 0) continue;
    const { count, names } = membersLostBy(fault, topology);
    if (count === 0) continue;
    lostTogether += count;
    const where = fault.kind === 'zone-outage' ? fault.zone : fault.kind === 'region-outage' ? fault.region : 'the fault';
    const quorumLost = n - count < quorum;
    findings.push({
      fault: fault.kind,
      membersLost: count,
      members: n,
      quorum,
      quorumLost,
      message: `${where} ${fault.kind === 'etcd-member-loss' ? 'takes down' : 'holds'} ${count} of ${n} members${names.length ? ` (${names.join(', ')})` : ''}: ${
        quorumLost ? `losing ${count === 1 ? 'it' : 'them'} loses quorum (${quorum} of ${n} needed); writes will stop` : `${n - count} remain, quorum (${quorum}) holds`
      }`,
    });
  }
  if (findings.length > 1) {
    const quorumLost = n - lostTogether < quorum;
    findings.push({ fault: 'all faults together', membersLost: lostTogether, members: n, quorum, quorumLost, message: `together the faults take down ${lostTogether} of ${n} members: ${quorumLost ? 'quorum is lost' : 'quorum holds'}` });
  }
  const k = lostZones.size;
  return {
    members: n,
    quorum,
    membersByZone,
    serviceZones,
    overheadOneZone: serviceZones > 1 ? serviceZones / (serviceZones - 1) : null,
    zonesLost: k,
    overheadForFault: k > 0 && k < serviceZones ? serviceZones / (serviceZones - k) : null,
    findings,
    predictsQuorumLoss: findings.some((f) => f.quorumLost),
  };
}
