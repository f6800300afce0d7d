import { describeMesh, type Mesh } from '../mesh/choice.js';
import { DEFAULT_LINKERD_VERSION, type LinkerdMulticlusterMode } from '../mesh/linkerd.js';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Clock } from '../core/clock.js';
import { assertionsFor, type Experiment } from '../core/experiment.js';
import { DryRunExecutor } from '../exec/dry-run.js';
import { Ledger } from '../faults/ledger.js';
import { ResourceScope } from '../faults/scope.js';
import { PROBE_NAMESPACE } from '../probes/apiserver-client.js';
import { KindProvider } from '../providers/kind/provider.js';
import type { InjectedFault } from '../providers/provider.js';
import { expandTimeline, timelineSteps } from '../core/timeline.js';
import { renderKindClusters, type RenderedCluster } from '../providers/kind/kind-config.js';
import { undoAny } from '../providers/undo.js';

export { DEFAULT_IMAGE, DEFAULT_ISTIO_VERSION, REPO_ROOT } from './kind-defaults.js';
import { REPO_ROOT } from './kind-defaults.js';

/**
 * Plausible answers for a dry run, so the plan walks every step, shaped from
 * the experiment's own topology (pod names of its real instances' nodes,
 * a distinct address per node container).
 */
function dryAnswers(ex: Experiment, clusters: readonly RenderedCluster[]): (argv: readonly string[]) => string {
  const containers = clusters.flatMap((c) => [...new Set([...Object.values(c.mapping.containerOf), c.mapping.infraNode])]);
  // Each read of the echo pods finds them restarted once more, so "back after a stop" holds at the first poll.
  let podReads = 0;
  return (argv) => {
    const line = argv.join(' ');
    if (line.includes('-n kube-node-lease get leases -o json')) return JSON.stringify({ items: containers.map((name) => ({ metadata: { name }, spec: { renewTime: '2999-01-01T00:00:00.000000Z' } })) });
    if (line.endsWith(' get nodes -o json')) return JSON.stringify({ items: containers.map((name) => ({ metadata: { name }, status: { conditions: [{ type: 'Ready', status: 'True' }] } })) });
    const podsJson = /get pods -l app=echo,failover-harness\.io\/instance in \(([^)]*)\) -o json$/.exec(line);
    if (line.includes(':9080/state')) return '{"served":0,"shed":0,"maxQueueMs":0,"lastArrival":{}}';
    if (podsJson) {
      podReads++;
      return JSON.stringify({ items: podsJson[1]!.split(',').map((i) => ({ metadata: { name: `echo-${i}-7c9d5b6f4-x${i.length}`, uid: `uid-${i}`, labels: { 'failover-harness.io/instance': i } }, status: { conditions: [{ type: 'Ready', status: 'True' }], containerStatuses: [{ name: 'echo', restartCount: podReads }] } })) });
    }
    const selected = /app=echo,failover-harness\.io\/instance in \(([^)]*)\)/.exec(line);
    if (line.includes(' get pods ') && selected) {
      // kind pod names: <deployment>-<replicaset hash>-<suffix>; one Deployment (one pod) per instance.
      return selected[1]!.split(',').map((i) => `echo-${i}-7c9d5b6f4-x${i.length} ${i}`).join('\n');
    }
    if (line.startsWith('docker') && line.includes('.State.Status')) return 'running';
    if (line.startsWith('docker') && line.includes('network inspect kind')) return '172.18.0.0/16 fc00:f853:ccd:e793::/64';
    if (line.startsWith('docker') && line.includes('.NetworkSettings.Networks')) {
      const container = argv[argv.length - 1]!;
      return `172.18.0.${2 + Math.max(0, containers.indexOf(container))}`;
    }
    if (line.startsWith('docker') && line.endsWith('date +%s%N')) return `${BigInt(Date.now()) * 1_000_000n}`;
    // The Deployments a mesh install made, for the steps that pin them to the infra node.
    if (line.endsWith('-n linkerd get deployments -o name')) return ['destination', 'identity', 'proxy-injector'].map((d) => `deployment.apps/linkerd-${d}`).join('\n');
    if (line.endsWith('-n linkerd-multicluster get deployments -o name')) return 'deployment.apps/linkerd-local-service-mirror';
    if (line.includes(' cat /records/summary.json')) return ex.traffic.driver === 'k6' ? '{"metrics":{"http_reqs":{"count":0}}}' : '{"sent":0,"recorded":0}';
    return '';
  };
}

/**
 * --provider kind --dry-run: every command and manifest of the run, printed in
 * order, by the same provider code a real run uses. Needs no Docker.
 */
export async function printKindPlan(o: { experiment: Experiment; clock: Clock; keep: boolean; istioVersion: string; linkerdVersion?: string; linkerdMode?: LinkerdMulticlusterMode; image: string; nodeImage?: string; mesh?: Mesh; print: (s: string) => void }): Promise<number> {
  const { print } = o;
  const rendered = renderKindClusters(o.experiment.topology, o.nodeImage);
  const exec = new DryRunExecutor(print, dryAnswers(o.experiment, rendered));
  // The pin is a minor version; a real run installs the installed istioctl's exact patch.
  const istioVersion = /^\d+\.\d+$/.test(o.istioVersion) ? `${o.istioVersion}.0` : o.istioVersion;
  const scratch = mkdtempSync(join(tmpdir(), 'fh-dry-run-'));
  const ledger = new Ledger(join(scratch, 'ledger'), 'dryrun');
  const scope = new ResourceScope(ledger, undoAny(exec), o.clock);
  const provider = new KindProvider({
    experiment: o.experiment,
    runId: 'dryrun',
    reportDir: join(scratch, 'report'),
    exec,
    clock: o.clock,
    scope,
    log: (line) => print(`# ${line}`),
    repoRoot: REPO_ROOT,
    keep: o.keep,
    istioVersion,
    linkerdVersion: o.linkerdVersion ?? DEFAULT_LINKERD_VERSION,
    linkerdMode: o.linkerdMode ?? 'federated',
    image: o.image,
    nodeImage: o.nodeImage,
    mesh: o.mesh ?? 'istio',
    dryRun: true,
    show: (title, body) => print(`# ${title}\n${body.trimEnd().replace(/^/gm, '#   ')}`),
  });
  try {
    const ex = o.experiment;
    const section = (title: string) => print(`\n## ${title}`);
    const mesh = provider.mesh;
    const linkerdVersion = o.linkerdVersion ?? DEFAULT_LINKERD_VERSION;
    const meshLine =
      mesh === 'istio'
        ? `Istio ${o.istioVersion}: shown as ${istioVersion}, a run installs the installed istioctl's patch`
        : `mesh: ${describeMesh(mesh, { istio: istioVersion, linkerd: linkerdVersion }, provider.meshContext)}${mesh === 'linkerd' ? ` (a run installs the installed linkerd CLI's release, ${linkerdVersion} or later)` : ''}`;
    print(`# dry run: ${ex.name} on kind (${provider.clusters.length} cluster${provider.clusters.length > 1 ? 's' : ''}, ${meshLine}); nothing is executed`);
    for (const part of provider.notes.notInForce) print(`# not in force with --mesh ${mesh}: ${part}`);
    for (const n of provider.notes.notExpected) print(`# not expected with --mesh ${mesh}: ${n.metric} (${n.why})`);
    for (const a of assertionsFor(ex, 'kind', provider.dataPlane)) print(`# assertion: ${a.source}`);
    const loadBalancers = provider.needsLoadBalancers ? ', MetalLB, gateways' : '';
    const infra = { istio: `istiod, CoreDNS${loadBalancers}`, linkerd: `the Linkerd control plane${provider.clusters.length > 1 ? ' and multicluster controllers' : ''}, CoreDNS${loadBalancers}`, none: 'CoreDNS' }[mesh];
    for (const c of provider.clusters) print(`# ${c.name}: infrastructure (${infra}) pinned to ${c.mapping.infraNode}, a node no fault touches`);
    section('provision');
    await provider.provision();
    section('deploy');
    await provider.deploy();
    section(`traffic: ${ex.topology.clients.length} clients × ${ex.traffic.rate} req/s`);
    const start = o.clock.now() + provider.trafficLeadMs;
    await provider.startTraffic({ startAt: start, maxDurationMs: ex.phases.baseline + ex.phases.fault + ex.phases.recovery + 30_000 });
    if (provider.controlPlane) {
      section(`control-plane probe: ${provider.controlPlane.members.length} etcd members, one stream to each member's own API server (${provider.controlPlane.context} credentials, not kind's load balancer)`);
      provider.controlPlane.startProbes(start);
    }
    print(`# baseline ${ex.phases.baseline} ms`);
    // The same timeline a run interprets: each injection's inject and revert at its planned time.
    const injections = expandTimeline(ex.faults, ex.phases.fault);
    const live = new Map<number, InjectedFault>();
    for (const step of timelineSteps(injections)) {
      const inj = injections[step.injection]!;
      const spec = ex.faults[inj.fault]!;
      section(`${step.kind} ${spec.kind} at ${step.at / 1000}s of the fault phase${inj.repetition ? ` (repeat ${inj.repetition + 1})` : ''}`);
      if (step.kind === 'inject') live.set(step.injection, await provider.inject(spec));
      else {
        const fault = live.get(step.injection)!;
        if (fault.observe) await fault.observe();
        await fault.revert();
        print('# wait until back (kubelet lease renewed after the revert, node Ready, echo pods Ready and, after a stop, restarted; members serving), beside the timeline');
        await fault.awaitRecovered?.();
      }
    }
    print(`# fault phase ${ex.phases.fault} ms`);
    print(`# recovery ${ex.phases.recovery} ms`);
    section('collect records');
    await provider.stopTraffic();
    if (provider.controlPlane) print(`# read back every acknowledged probe write: LIST ${PROBE_NAMESPACE} ConfigMaps by run label (a quorum read), for up to 30 s`);
    section(o.keep ? 'teardown (--keep: clusters stay)' : 'teardown');
    await provider.teardown();
    print(`\n# ${exec.commands.length} commands`);
    return 0;
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
