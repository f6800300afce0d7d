// What kube-proxy (iptables mode) actually does with a Service on one node, read from that node's `iptables-save
// -t nat`: the endpoints its KUBE-SVC chain jumps to. With trafficDistribution: PreferSameZone in force, that is
// only the endpoints of the node's zone; when kube-proxy does not apply it there (a missing or mismatched zone
// label, an endpoint without a hint, rules it failed to sync), it is every endpoint. Reading the rules themselves
// says which, before the baseline would (kube-proxy logs the reason only at -v=2). Pure.

/**
 * The endpoints ("ip:port") the Service's cluster chain sends to. kube-proxy comments each rule of the chain
 * "<namespace>/<service>:<port name> -> <ip>:<port>" (pkg/proxy/iptables/proxier.go, one KUBE-SEP jump per endpoint).
 */
export function chainEndpoints(iptablesSave: string, namespace: string, service: string, portName: string): string[] {
  const prefix = `${namespace}/${service}:${portName} -> `;
  const out: string[] = [];
  for (const line of iptablesSave.split('\n')) {
    if (!line.startsWith('-A KUBE-SVC-') || !/ -j KUBE-SEP-\S+\s*$/.test(line)) continue;
    const m = /--comment (?:"([^"]*)"|(\S+))/.exec(line);
    const comment = m?.[1] ?? m?.[2] ?? '';
    if (comment.startsWith(prefix)) out.push(comment.slice(prefix.length));
  }
  return out;
}

/** Why PreferSameZone is not in force on a node, or null: its chain should hold exactly the `expected` in-zone endpoints. */
export function zonePreferenceGap(endpoints: readonly string[], expected: number, node: string, zone: string): string | null {
  if (endpoints.length === expected) return null;
  return `kube-proxy on ${node} sends the echo service to ${endpoints.length} endpoint${endpoints.length === 1 ? '' : 's'} (${endpoints.join(', ') || 'none'}), not the ${expected} in ${zone}`;
}
