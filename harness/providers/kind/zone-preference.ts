import type { Clock } from '../../core/clock.js';
import { EnvironmentError } from '../../core/errors.js';
import type { Experiment } from '../../core/experiment.js';
import type { Executor } from '../../exec/index.js';
import type { Kube } from '../kubernetes/kube.js';
import { NAMESPACE, SERVICE } from '../kubernetes/manifests.js';
import { chainEndpoints, zonePreferenceGap } from '../kubernetes/proxy-rules.js';
import type { DockerCli } from './docker-nodes.js';
import type { RenderedCluster } from './kind-config.js';

// --mesh none: before the baseline, PreferSameZone is in force on every client's node, as kube-proxy's own rules
// there show. Live, on one cluster in about ten made here, one client's node sent the echo service to every zone
// from the first request and for the cluster's life, while the other nodes kept to theirs: the runs failed on a
// baseline that measured kube-proxy, not failover. kube-proxy's code (v1.35 pkg/proxy/topology.go) drops the
// preference on one node only for that node's zone (label missing, or no hinted endpoint in it), and keeps its
// zone from a live Node informer; stale rules (a failed sync) are the other way. A restart of kube-proxy there
// syncs every rule anew; it is done once, and said.

const SETTLE_MS = 20_000;
const AFTER_RESTART_MS = 60_000;

export interface ZonePreferenceDeps {
  exec: Executor;
  docker: DockerCli;
  clock: Clock;
  log: (line: string) => void;
  experiment: Experiment;
  clusters: readonly RenderedCluster[];
  kube: (c: RenderedCluster) => Kube;
}

export async function awaitZonePreference(d: ZonePreferenceDeps): Promise<void> {
  const { experiment, clock } = d;
  const checks = experiment.topology.clients.flatMap((client) => {
    const c = d.clusters.find((x) => x.cluster === client.locality.cluster);
    const container = c?.mapping.containerOf[client.name];
    const expected = experiment.topology.instances.filter((i) => i.locality.cluster === client.locality.cluster && i.locality.zone === client.locality.zone).length;
    // No instance in its zone: kube-proxy rightly sends to every endpoint, and there is nothing to check.
    return c && container && expected > 0 ? [{ c, container, zone: client.locality.zone, expected }] : [];
  });
  const gaps = async (among: typeof checks) => {
    const out: ((typeof checks)[number] & { gap: string })[] = [];
    for (const check of among) {
      const { stdout } = await d.exec.run(d.docker.argv('exec', check.container, 'iptables-save', '-t', 'nat'), { context: `read kube-proxy's rules on ${check.container}`, timeoutMs: 30_000 });
      // No KUBE-SERVICES chain at all: kube-proxy is not in iptables mode there (or a dry run); not this check's to judge.
      if (!stdout.includes('-A KUBE-SERVICES')) {
        d.log(`no kube-proxy iptables rules read on ${check.container} (another proxy mode, or a dry run): PreferSameZone not checked there`);
        continue;
      }
      const gap = zonePreferenceGap(chainEndpoints(stdout, NAMESPACE, SERVICE, 'http'), check.expected, check.container, check.zone);
      if (gap) out.push({ ...check, gap });
    }
    return out;
  };
  const settle = async (among: typeof checks, ms: number) => {
    const deadline = clock.now() + ms;
    let left = await gaps(among);
    while (left.length > 0 && clock.now() < deadline) {
      await clock.sleep(1000);
      left = await gaps(left);
    }
    return left;
  };
  const left = await settle(checks, SETTLE_MS);
  if (left.length === 0) {
    if (checks.length > 0) d.log(`PreferSameZone in force: kube-proxy on ${checks.map((x) => `${x.container} sends only to the ${x.expected} endpoint${x.expected === 1 ? '' : 's'} in ${x.zone}`).join(', ')}`);
    return;
  }
  for (const { c, container, gap } of left) {
    d.log(`${gap}, ${SETTLE_MS / 1000} s after the echo pods were Ready: PreferSameZone is not in force there; restarting kube-proxy on ${container} (once)`);
    await d.kube(c).run(['-n', 'kube-system', 'delete', 'pod', '-l', 'k8s-app=kube-proxy', '--field-selector', `spec.nodeName=${container}`, '--wait=true', '--timeout=60s'], { context: `restart kube-proxy on ${container}`, timeoutMs: 90_000 });
  }
  const still = await settle(left, AFTER_RESTART_MS);
  if (still.length > 0) {
    throw new EnvironmentError(
      `PreferSameZone is not in force before any fault, even after a kube-proxy restart: ${still.map((s) => s.gap).join('; ')}`,
      "the baseline would measure kube-proxy, not failover: compare `kubectl get nodes -L topology.kubernetes.io/zone` with the hints on the echo service's EndpointSlices, or delete the kept cluster (`kind delete cluster --name <its name>`) and run again",
    );
  }
  d.log(`PreferSameZone in force on ${left.map((s) => s.container).join(', ')} after the kube-proxy restart`);
}
