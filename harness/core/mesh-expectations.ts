import type { AssertionExpr } from './assertion-expr.js';
import type { FaultSpec } from './fault-spec.js';
import type { Topology } from './topology.js';

// What a kind data plane cannot be held to, derived from the parts of the
// policy it does not put in force (mesh/choice.ts lists them), so that no
// experiment asserts, on any mesh, what that mesh itself says it lacks
// (kind-review-2 N5). An experiment's own meshAssertions still come first: a
// replacement it states is kept; these only drop base assertions, each with
// why. Pure.

type Mesh = 'istio' | 'linkerd' | 'linkerd-failover-extension' | 'none';

/** Faults that leave a listed endpoint failing or slow (only outlier detection or failure accrual would move traffic off it). */
const INSTANCE_FAULTS = new Set(['zone-outage', 'region-outage', 'kill-instance', 'freeze-instance', 'drain-listeners', 'http-error', 'latency', 'partition']);
/** Faults that keep a dead node's endpoints listed until the node-monitor grace period (longer than any fault phase here). */
const NODE_FAULTS = new Set(['zone-outage', 'region-outage']);

interface Ctx {
  topology: Pick<Topology, 'clients' | 'instances' | 'regions'>;
  faults: readonly FaultSpec[];
}

/** The clients in whose own zone a fault of these kinds acts: where the data plane would have to move their traffic. */
function touchedClients(ctx: Ctx, kinds: ReadonlySet<string>): Set<string> {
  const zones = new Set<string>();
  for (const f of ctx.faults) {
    if (!kinds.has(f.kind)) continue;
    if (f.kind === 'partition') for (const z of f.between) zones.add(z.includes('/') ? z.split('/')[1]! : z);
    else if (f.kind === 'zone-outage') zones.add(f.zone);
    else if (f.kind === 'region-outage') for (const i of ctx.topology.instances.filter((x) => x.locality.region === f.region)) zones.add(i.locality.zone);
    else if ('target' in f) {
      const t = f.target;
      for (const i of ctx.topology.instances) {
        const l = i.locality;
        if ((t.zone === undefined || t.zone === l.zone) && (t.region === undefined || t.region === l.region) && (t.subzone === undefined || t.subzone === l.subzone) && (t.node === undefined || t.node === i.node) && (t.instance === undefined || t.instance === i.name)) zones.add(l.zone);
      }
    }
  }
  return new Set(ctx.topology.clients.filter((c) => zones.has(c.locality.zone)).map((c) => c.name));
}

/** Metrics that need the data plane to move a touched client's traffic off faulted endpoints. */
function movesTraffic(a: AssertionExpr): boolean {
  const m = a.metric;
  if (m.type === 'client-time') return true;
  if (m.type === 'injection') return m.name !== 'requests';
  if (m.type === 'capacity') return true;
  if (m.type === 'sidecar') return true;
  if (!('phase' in m) || m.phase === 'baseline') return false;
  if (m.type === 'phase-value') return m.name !== 'requests' && (a.op === '<' || a.op === '<=' || a.op === '==');
  return m.type === 'served-by' || m.type === 'locality' || m.type === 'latency' || m.type === 'tier';
}

/** Why `mesh` cannot be held to the base assertion `a`, or null. */
export function derivedNotExpected(mesh: Mesh, ctx: Ctx, a: AssertionExpr): string | null {
  if (mesh === 'istio') return null;
  const m = a.metric;
  const applies = (clients: Set<string>) => (a.client === undefined ? clients.size > 0 : clients.has(a.client));
  // Preference beyond the zone: neither Linkerd nor plain Kubernetes has it.
  if ((m.type === 'locality' && m.name === 'sameSubzone') || (m.type === 'served-by' && m.depth === 'subzone')) return 'subzone preference is not in force on this data plane (it knows zones only)';
  // The baseline stays in the client's zone on every data plane, and so in its region.
  if (ctx.topology.regions.length > 1 && !('phase' in m && m.phase === 'baseline') && ((m.type === 'locality' && (m.name === 'sameRegion' || m.name === 'otherRegion')) || (m.type === 'served-by' && m.depth === 'region') || m.type === 'tier')) {
    return 'region preference and failover order are not in force on this data plane';
  }
  if (m.type === 'sidecar') return "the sidecars' own counters are read on the local provider only";
  if (mesh === 'none') {
    if (m.type === 'client-time' && m.name === 'ejection') return 'no outlier detection: kube-proxy has none';
    if (movesTraffic(a) && applies(touchedClients(ctx, INSTANCE_FAULTS))) return "no outlier detection or retries: kube-proxy keeps sending to a faulted endpoint while it is listed (a dead node's until the node-monitor grace period, longer than the fault phase)";
    return null;
  }
  // Linkerd: failure accrual counts failures, not slow answers, and its zone filter keeps a client on its zone's listed endpoints.
  if (ctx.faults.some((f) => f.kind === 'latency') && movesTraffic(a) && applies(touchedClients(ctx, new Set(['latency'])))) {
    return "failure accrual counts failures, not slow answers, and Linkerd's zone filter keeps the client on its zone's endpoints while any is ready";
  }
  // In one cluster the zone filter keeps a lost zone's client on that zone's endpoints while they are listed (the
  // node-monitor grace period). Across clusters a federated Service keeps every remote endpoint in the balancer.
  const oneCluster = new Set(ctx.topology.instances.map((i) => i.locality.cluster)).size === 1;
  if (oneCluster && movesTraffic(a) && applies(touchedClients(ctx, NODE_FAULTS))) {
    return m.type === 'capacity'
      ? "the lost zone's endpoints stay listed (node-monitor grace period) and the zone filter keeps its load there: the survivors never take it"
      : "Linkerd's zone filter keeps the client on its lost zone's endpoints while they are listed (until the node-monitor grace period, longer than the fault phase), and failure accrual only fails them fast";
  }
  return null;
}
