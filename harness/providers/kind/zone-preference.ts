import type { Clock } from '../../core/clock.js';
import { EnvironmentError } from '../../core/errors.js';
import type { Experiment } from '../../core/experiment.js';
import type { Executor } from '../../exec/index.js';
import type { Kube } from '../kubernetes/kube.js';
import { NAMESPACE, SERVICE } from '../kubernetes/manifests.js';
import { chainEndpoints, hasServiceRules, zonePreferenceGap } from '../kubernetes/proxy-rules.js';
import type { DockerCli } from './docker-nodes.js';
import type { RenderedCluster } from './kind-config.js';

// --mesh none: before the baseline, PreferSameZone is in force on every client's node, as kube-proxy's own rules
// there show: the echo service's chain jumps to exactly the Ready echo pods of the node's zone. Live, on one
// cluster in about ten made here, one client's node sent the echo service to every zone from the first request
// and for the cluster's life, while the other nodes kept to theirs: the runs failed on a baseline that measured
// kube-proxy, not failover. kube-proxy (v1.35 pkg/proxy/topology.go) drops the preference on one node only for
// that node's zone (label missing, or no hinted endpoint in it), and keeps its zone from a live Node informer;
// stale rules (a failed sync) are the other way. A restart of kube-proxy there syncs every rule anew; it is done
// once, and said.

const SETTLE_MS = 20_000;
const AFTER_RESTART_MS = 60_000;
const PORT_NAME = 'http';

export interface ZonePreferenceDeps {
  exec: Executor;
  docker: DockerCli;
  clock: Clock;
  log: (line: string) => void;
  experiment: Experiment;
  clusters: readonly RenderedCluster[];
  kube: (c: RenderedCluster) => Kube;
}

interface Check {
  c: RenderedCluster;
  container: string;
  zone: string;
  zoneIps: string[];
}

/** The Ready, not terminating, echo pods' IPs by the kind node (container) they run on. */
async function echoPodsByNode(kube: Kube, cluster: string): Promise<Map<string, string[]>> {
  const { stdout } = await kube.run(['-n', NAMESPACE, 'get', 'pods', '-l', 'app=echo', '-o', 'json'], { context: `read the echo pods of ${cluster}` });
  type Pod = { metadata?: { deletionTimestamp?: string }; spec?: { nodeName?: string }; status?: { podIP?: string; conditions?: { type: string; status: string }[] } };
  const out = new Map<string, string[]>();
  for (const p of ((JSON.parse(stdout || '{}') as { items?: Pod[] }).items ?? [])) {
    const ready = p.status?.conditions?.some((x) => x.type === 'Ready' && x.status === 'True');
    if (!ready || p.metadata?.deletionTimestamp || !p.spec?.nodeName || !p.status?.podIP) continue;
    out.set(p.spec.nodeName, [...(out.get(p.spec.nodeName) ?? []), p.status.podIP]);
  }
  return out;
}

export async function awaitZonePreference(d: ZonePreferenceDeps): Promise<void> {
  const { experiment, clock } = d;
  const checks: Check[] = [];
  for (const c of d.clusters) {
    const clients = experiment.topology.clients.filter((x) => x.locality.cluster === c.cluster);
    if (clients.length === 0) continue;
    const pods = await echoPodsByNode(d.kube(c), c.name);
    const zoneOf = new Map(experiment.topology.nodes.filter((n) => n.locality.cluster === c.cluster).map((n) => [c.mapping.containerOf[n.name], n.locality.zone]));
    for (const client of clients) {
      const container = c.mapping.containerOf[client.name];
      const zoneIps = [...pods].filter(([node]) => zoneOf.get(node) === client.locality.zone).flatMap(([, ips]) => ips);
      // No Ready echo pod in its zone: kube-proxy rightly sends to every endpoint, and there is nothing to check.
      if (container && zoneIps.length > 0) checks.push({ c, container, zone: client.locality.zone, zoneIps });
    }
  }
  const read = new Set<string>();
  const gaps = async (among: readonly Check[]) => {
    const out: (Check & { gap: string })[] = [];
    for (const check of among) {
      const { stdout } = await d.exec.run(d.docker.argv('exec', check.container, 'iptables-save', '-t', 'nat'), { context: `read kube-proxy's rules on ${check.container}`, timeoutMs: 30_000 });
      // No rule for the service at all: kube-proxy is not in iptables mode there; not this check's to judge.
      if (!hasServiceRules(stdout, NAMESPACE, SERVICE, PORT_NAME)) {
        if (!read.has(check.container)) d.log(`no kube-proxy iptables rules for the echo service on ${check.container} (another proxy mode?): PreferSameZone not checked there`);
        continue;
      }
      read.add(check.container);
      const gap = zonePreferenceGap(chainEndpoints(stdout, NAMESPACE, SERVICE, PORT_NAME), check.zoneIps, check.container, check.zone);
      if (gap) out.push({ ...check, gap });
    }
    return out;
  };
  const settle = async (among: readonly Check[], ms: number) => {
    const deadline = clock.now() + ms;
    let left = await gaps(among);
    while (left.length > 0 && clock.now() < deadline) {
      await clock.sleep(1000);
      left = await gaps(left);
    }
    return left;
  };
  const left = await settle(checks, SETTLE_MS);
  const inForce = (among: readonly Check[]) => among.filter((x) => read.has(x.container)).map((x) => `${x.container} sends only to the ${x.zoneIps.length} echo pod${x.zoneIps.length === 1 ? '' : 's'} in ${x.zone}`);
  if (left.length === 0) {
    const held = inForce(checks);
    if (held.length > 0) d.log(`PreferSameZone in force: kube-proxy on ${held.join(', ')}`);
    return;
  }
  for (const { c, container, gap } of left) {
    d.log(`${gap}, ${SETTLE_MS / 1000} s after the echo pods were Ready: PreferSameZone is not in force there; restarting kube-proxy on ${container} (once)`);
    await d.kube(c).run(['-n', 'kube-system', 'delete', 'pod', '-l', 'k8s-app=kube-proxy', '--field-selector', `spec.nodeName=${container}`, '--wait=true', '--timeout=60s'], { context: `restart kube-proxy on ${container}`, timeoutMs: 90_000 });
  }
  const still = await settle(left, AFTER_RESTART_MS);
  if (still.length > 0) {
    const clusters = [...new Set(still.map((s) => s.c.name))].join(', ');
    throw new EnvironmentError(
      `PreferSameZone is not in force before any fault, even after a kube-proxy restart: ${still.map((s) => s.gap).join('; ')}`,
      `the baseline would measure kube-proxy, not failover: compare \`kubectl get nodes -L topology.kubernetes.io/zone\` with the hints on the echo service's EndpointSlices, or delete ${clusters} (\`kind delete cluster --name ${still[0]!.c.name}\`) and run again`,
    );
  }
  d.log(`PreferSameZone in force after the kube-proxy restart: kube-proxy on ${inForce(left).join(', ')}`);
}
