// What kube-proxy (iptables mode) actually does with a Service on one node, read from that node's `iptables-save
// -t nat`: the endpoints its KUBE-SVC chain jumps to. With trafficDistribution: PreferSameZone in force, that is
// only the endpoints of the node's zone; when kube-proxy does not apply it there (a missing or mismatched zone
// label, an endpoint without a hint, rules it failed to sync), it is every endpoint. Reading the rules themselves
// says which, before the baseline would (kube-proxy logs the reason only at -v=2). Pure.

/** The comment kube-proxy's rules for one Service port carry: "<namespace>/<service>:<port name>". */
const servicePort = (namespace: string, service: string, portName: string) => `${namespace}/${service}:${portName}`;

function comment(line: string): string {
  const m = /--comment (?:"([^"]*)"|(\S+))/.exec(line);
  return m?.[1] ?? m?.[2] ?? '';
}

/** kube-proxy in iptables mode has written this Service port's rules on the node (its "cluster IP" rule). */
export function hasServiceRules(iptablesSave: string, namespace: string, service: string, portName: string): boolean {
  const want = `${servicePort(namespace, service, portName)} cluster IP`;
  return iptablesSave.split('\n').some((line) => line.startsWith('-A KUBE-SERVICES ') && comment(line) === want);
}

/**
 * The endpoints ("ip:port") the Service's cluster chain sends to. kube-proxy comments each rule of the chain
 * "<namespace>/<service>:<port name> -> <ip>:<port>" (pkg/proxy/iptables/proxier.go, one KUBE-SEP jump per endpoint).
 */
export function chainEndpoints(iptablesSave: string, namespace: string, service: string, portName: string): string[] {
  const prefix = `${servicePort(namespace, service, portName)} -> `;
  const out: string[] = [];
  for (const line of iptablesSave.split('\n')) {
    if (!line.startsWith('-A KUBE-SVC-') || !/ -j KUBE-SEP-\S+\s*$/.test(line)) continue;
    const c = comment(line);
    if (c.startsWith(prefix)) out.push(c.slice(prefix.length));
  }
  return out;
}

/** Why PreferSameZone is not in force on a node, or null: its chain should jump to exactly the pods of its zone (`zoneIps`). */
export function zonePreferenceGap(endpoints: readonly string[], zoneIps: readonly string[], node: string, zone: string): string | null {
  const ips = endpoints.map((e) => e.slice(0, e.lastIndexOf(':')));
  if (ips.length === zoneIps.length && zoneIps.every((ip) => ips.includes(ip))) return null;
  const n = endpoints.length;
  return `kube-proxy on ${node} sends the echo service to ${n} endpoint${n === 1 ? '' : 's'} (${endpoints.join(', ') || 'none'}), not the ${zoneIps.length} in ${zone} (${zoneIps.join(', ')})`;
}
